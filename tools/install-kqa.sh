#!/usr/bin/env bash
# Installs kqa from this checkout: packs the libraries (KnowledgeQa.Retrieval, .Agents, .Plugins, .Server) and
# the KnowledgeQa.Cli tool into artifacts/packages, then installs the tool from there as a global .NET tool
# (~/.dotnet/tools/kqa; put that folder on PATH). Run it again after changing the code: each run packs a
# new version (0.1.0-local.<timestamp>), so a stale package is never reused.
#   tools/install-kqa.sh                 install or update the global tool
#   tools/install-kqa.sh --tool-path DIR install into DIR instead (DIR/kqa)
#   KQA_VERSION=0.1.0 tools/install-kqa.sh   pack and install exactly that version
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

tool_path=""
if [[ "${1:-}" == "--tool-path" ]]; then
  tool_path="${2:?--tool-path needs a folder}"
fi

prefix=$(dotnet msbuild src/Cli/KnowledgeQa.Cli.csproj -getProperty:VersionPrefix)
version="${KQA_VERSION:-$prefix-local.$(date -u +%Y%m%d%H%M%S)}"
suffix=""
if [[ "$version" == *-* ]]; then suffix="${version#*-}"; fi
packages="$PWD/artifacts/packages"

echo "install-kqa: packing KnowledgeQa $version into artifacts/packages (a few minutes the first time)"
# The solution's packable projects are those under src/: the libraries, and the tool for this machine's
# platform (ReadyToRun-compiled; -p:ToolPackageRuntimeIdentifiers="linux-x64;osx-arm64;win-x64" packs more).
dotnet pack KnowledgeQa.sln -c Release -p:VersionPrefix="$prefix" -p:VersionSuffix="$suffix" -o "$packages" -v quiet -nologo

if [[ -n "$tool_path" ]]; then
  dotnet tool update --tool-path "$tool_path" --add-source "$packages" --version "$version" KnowledgeQa.Cli
  echo "install-kqa: installed $tool_path/kqa $version"
else
  dotnet tool update --global --add-source "$packages" --version "$version" KnowledgeQa.Cli
  tools_dir="${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools"
  echo "install-kqa: installed $tools_dir/kqa $version"
  case ":$PATH:" in
    *":$tools_dir:"*) ;;
    *) echo "install-kqa: $tools_dir is not on PATH; add it: export PATH=\"\$PATH:$tools_dir\"" ;;
  esac
fi
