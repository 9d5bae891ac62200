// Pure text functions of the web app: languages, citation markers, sentence ranges, highlights
// and query-term marks. No DOM here, so the browser tests can call each one directly.

// Common characters written differently in the two Chinese scripts (each occurs in one script only).
const TRADITIONAL = new Set('這個們來時說為對會發東車長門見問題電們與區體國學實開關讓還過進運點從處應麼');
const SIMPLIFIED = new Set('这个们来时说为对会发东车长门见问题电们与区体国学实开关让还过进运点从处应么');
for (const c of TRADITIONAL) if (SIMPLIFIED.has(c)) { TRADITIONAL.delete(c); SIMPLIFIED.delete(c); }

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HANGUL = /\p{Script=Hangul}/u;

/**
 * The BCP 47 tag for text written in Chinese (zh-Hant, zh-Hans, or zh when no character tells
 * the scripts apart), Japanese or Korean; null for anything else, which then inherits the page's
 * language. The tag picks the right glyphs for Han characters that the scripts draw differently.
 */
export function detectLanguage(text) {
  if (!text) return null;
  let traditional = 0, simplified = 0, han = 0;
  for (const c of text) {
    if (KANA.test(c)) return 'ja';
    if (HANGUL.test(c)) return 'ko';
    if (HAN.test(c)) {
      han++;
      if (TRADITIONAL.has(c)) traditional++;
      else if (SIMPLIFIED.has(c)) simplified++;
    }
  }
  if (han === 0) return null;
  if (simplified === traditional) return 'zh';
  return simplified > traditional ? 'zh-Hans' : 'zh-Hant';
}

const ANSWER_LANGUAGES = { ChineseTraditional: 'zh-Hant', ChineseSimplified: 'zh-Hans', Japanese: 'ja', Korean: 'ko' };

/**
 * The language tag of an answer's text: its own script (an extractive answer quotes the documents,
 * whatever script the question used), else the server's judgement of the question's language.
 */
export function answerLanguage(answer, text) {
  const own = detectLanguage(text);
  return own && own !== 'zh' ? own : ANSWER_LANGUAGES[answer?.language] ?? own;
}

// The citation markers the server understands: [1], [2][3], [1, 2], [1-3], full-width ［1］ and 【1】.
const MARKER = /[[［【]\s*(\p{Nd}+(?:\s*(?:[,，、;；]|[-–~～])\s*\p{Nd}+)*)\s*[\]］】]/gu;

function markerNumbers(inner) {
  const numbers = [];
  let previous = null, range = false;
  for (const part of inner.normalize('NFKC').matchAll(/\d+|[-–~]/g)) {
    if (!/\d/.test(part[0])) { range = true; continue; }
    const n = Number(part[0]);
    if (range && previous !== null && n >= previous && n - previous <= 50) {
      for (let k = previous + 1; k <= n; k++) numbers.push(k);
    } else {
      numbers.push(n);
    }
    previous = n;
    range = false;
  }
  return numbers;
}

/**
 * Splits an answer into text and citation markers: [{text}] and [{numbers: [1, 2], text: '[1, 2]'}],
 * in order. Numbers not in <cited> (any iterable) are dropped, and a marker left with none stays
 * text (a model may invent [7]).
 */
export function splitCitations(answer, cited) {
  const known = new Set(cited);
  const parts = [];
  let last = 0;
  for (const match of answer.matchAll(MARKER)) {
    const numbers = markerNumbers(match[1]).filter(n => known.has(n));
    if (numbers.length === 0) continue;
    if (match.index > last) parts.push({ text: answer.slice(last, match.index) });
    parts.push({ text: match[0], numbers });
    last = match.index + match[0].length;
  }
  if (last < answer.length) parts.push({ text: answer.slice(last) });
  return parts;
}

/** The answer's sentences with the numbers each one cites (markers removed from the text). */
export function answerSentences(answer) {
  return sentenceRanges(answer).map(({ start, end }) => {
    const sentence = answer.slice(start, end);
    const numbers = [...sentence.matchAll(MARKER)].flatMap(m => markerNumbers(m[1]));
    return { text: sentence.replace(MARKER, '').trim(), numbers };
  }).filter(s => s.text.length > 0);
}

// Sentence ends: CJK marks always; Latin ones before a space or the end; blank lines; and the line
// breaks before list items and table rows. A single line break inside a paragraph is only wrapping.
// Citation markers right after a sentence's end belong to that sentence ("... 4.5 hours. [1]").
const TRAILING_MARKERS = String.raw`(?:\s*[[［【]\s*\p{Nd}+(?:\s*(?:[,，、;；]|[-–~～])\s*\p{Nd}+)*\s*[\]］】])*`;
const SENTENCE_END = new RegExp(String.raw`[。！？]+[」』）)"'”’]*${TRAILING_MARKERS}|[.!?]+["'”’)）]*${TRAILING_MARKERS}(?=\s|$|[^\x00-\x7f])|\n\s*\n\s*|\n(?=\s*(?:[-*•|]|\d+[.)]\s))`, 'gu');

/** [{start, end}] of each sentence of <text> (Latin and CJK sentence ends, paragraphs, list items). */
export function sentenceRanges(text) {
  const ranges = [];
  let start = 0;
  for (const match of text.matchAll(SENTENCE_END)) {
    let end = match.index + match[0].length;
    // "4.5 hours": a full stop between digits ends nothing.
    if (match[0] === '.' && /\d/.test(text[match.index - 1] ?? '') && /\d/.test(text[end] ?? '')) continue;
    push(ranges, text, start, end);
    start = end;
  }
  push(ranges, text, start, text.length);
  return ranges;
}

function push(ranges, text, start, end) {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end > start) ranges.push({ start, end });
}

const WORD = /[\p{L}\p{N}]+/gu;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/u;

/** Comparable terms of a text: lower-cased words, and character pairs of CJK runs (which have no spaces). */
export function terms(text) {
  const result = new Set();
  for (const [word] of text.toLowerCase().matchAll(WORD)) {
    if (CJK_RUN.test(word)) {
      const chars = [...word];
      if (chars.length === 1) result.add(word);
      for (let i = 0; i + 1 < chars.length; i++) result.add(chars[i] + chars[i + 1]);
    } else if (word.length > 1 || /\d/.test(word)) {
      result.add(word);
    }
  }
  return result;
}

function normalize(text) {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The ranges of a cited passage to highlight: the server's own (citation.highlights, character
 * ranges of the passage text) when it sent them; otherwise the passage sentences that the answer
 * quotes, or, for a paraphrase, whose terms the answer's sentences citing this passage mostly share.
 */
export function passageHighlights(passage, answer, number, highlights) {
  if (Array.isArray(highlights) && highlights.length > 0) {
    return merge(highlights
      .filter(h => Number.isInteger(h?.start) && Number.isInteger(h?.length) && h.length > 0)
      .map(h => ({ start: Math.max(0, h.start), end: Math.min(passage.length, h.start + h.length) }))
      .filter(r => r.end > r.start));
  }
  const sentences = answerSentences(answer ?? '');
  const citing = sentences.filter(s => s.numbers.includes(number));
  const used = citing.length > 0 ? citing : sentences;
  const ranges = [];
  const passageSentences = sentenceRanges(passage);
  for (const sentence of used) {
    const found = findNormalized(passage, sentence.text);
    if (found) ranges.push(found);
  }
  if (ranges.length === 0) {
    const answerTerms = used.map(s => terms(s.text));
    for (const range of passageSentences) {
      const own = terms(passage.slice(range.start, range.end));
      if (own.size < 2) continue;
      const best = Math.max(0, ...answerTerms.map(a => shared(own, a) / own.size));
      if (best >= 0.6) ranges.push(range);
    }
  }
  return joinAcrossSpace(passage, merge(ranges));
}

// Neighbouring highlights with only white space between them read as one.
function joinAcrossSpace(text, ranges) {
  const joined = [];
  for (const r of ranges) {
    const last = joined[joined.length - 1];
    if (last && /^\s*$/.test(text.slice(last.end, r.start))) last.end = r.end;
    else joined.push({ ...r });
  }
  return joined;
}

function shared(a, b) {
  let n = 0;
  for (const t of a) if (b.has(t)) n++;
  return n;
}

// Finds <needle> in <haystack> ignoring differences in whitespace; the range is in <haystack>'s offsets.
function findNormalized(haystack, needle) {
  const target = normalize(needle);
  if (target.length < 4) return null;
  const map = [];
  let flat = '';
  for (let i = 0; i < haystack.length; i++) {
    const c = /\s/.test(haystack[i]) ? ' ' : haystack[i];
    if (c === ' ' && flat.endsWith(' ')) continue;
    flat += c;
    map.push(i);
  }
  const at = flat.indexOf(target);
  if (at < 0) return null;
  return { start: map[at], end: map[at + target.length - 1] + 1 };
}

/** Sorted, non-overlapping ranges. */
export function merge(ranges) {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ start: r.start, end: r.end });
  }
  return merged;
}

/**
 * The ranges of <text> to mark for a search query: every occurrence of each query word
 * (case-insensitive), and for Chinese, Japanese or Korean runs every occurrence of each pair of
 * characters, since those languages write words without spaces.
 */
export function queryTermRanges(text, query) {
  const needles = [...terms(query)].filter(t => t.length > 0);
  if (needles.length === 0) return [];
  const lower = text.toLowerCase();
  const ranges = [];
  for (const needle of needles) {
    const latin = !CJK_RUN.test(needle);
    for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + 1)) {
      let end = at + needle.length;
      if (latin) {
        // A Latin term marks words it begins ("charge" marks "charger"), never the middle of a word.
        if (at > 0 && /[\p{L}\p{N}]/u.test(lower[at - 1])) continue;
        while (end < lower.length && /[\p{L}\p{N}]/u.test(lower[end])) end++;
      }
      ranges.push({ start: at, end });
    }
  }
  return merge(ranges);
}

/**
 * The part of <text> to show as a search snippet: about <size> characters around the densest
 * cluster of marked ranges, cut at word or sentence boundaries where there are any.
 */
export function snippetWindow(text, ranges, size = 320) {
  if (text.length <= size) return { start: 0, end: text.length };
  let best = 0, bestCount = -1;
  for (let i = 0; i < ranges.length; i++) {
    let count = 0;
    for (let j = i; j < ranges.length && ranges[j].end <= ranges[i].start + size; j++) count++;
    if (count > bestCount) { best = i; bestCount = count; }
  }
  let start = ranges.length > 0 ? Math.max(0, ranges[best].start - Math.floor(size / 4)) : 0;
  let end = Math.min(text.length, start + size);
  start = Math.max(0, Math.min(start, end - size));
  if (start > 0) {
    const space = text.slice(start, start + 30).search(/[\s。！？，、]/u);
    if (space >= 0) start += space + 1;
  }
  if (end < text.length) {
    const tail = text.slice(Math.max(start, end - 30), end);
    const space = Math.max(tail.lastIndexOf(' '), tail.lastIndexOf('。'), tail.lastIndexOf('，'));
    if (space >= 0) end = Math.max(start, end - 30) + space + 1;
  }
  return { start, end };
}

/** <text> cut into [{text, marked}] pieces by <ranges> (sorted, non-overlapping), within [from, to). */
export function pieces(text, ranges, from = 0, to = text.length) {
  const result = [];
  let at = from;
  for (const r of ranges) {
    const start = Math.max(r.start, from), end = Math.min(r.end, to);
    if (end <= start) continue;
    if (start > at) result.push({ text: text.slice(at, start), marked: false });
    result.push({ text: text.slice(start, end), marked: true });
    at = end;
  }
  if (at < to) result.push({ text: text.slice(at, to), marked: false });
  return result;
}

/** Tags typed as a comma-separated list (ASCII or full-width commas), trimmed, without empties or repeats. */
export function tagList(value) {
  return [...new Set((value ?? '').split(/[,，、]/).map(t => t.trim()).filter(Boolean))];
}

/** A heading path as one line: outermost first. */
export function headingPath(headings) {
  return Array.isArray(headings) && headings.length > 0 ? headings.join(' › ') : null;
}
