// The Search view: passages for a query by mode, tags and count, with the query's terms marked.

import { h, byId, marked, setLang } from './dom.js';
import { search } from './api.js';
import { detectLanguage, headingPath, pieces, queryTermRanges, snippetWindow, tagList } from './text.js';
import { documentFocus, documentHref } from './passage.js';

export function initSearch() {
  byId('search-form').addEventListener('submit', e => { e.preventDefault(); run(); });
}

async function run() {
  const query = byId('search-query').value.trim();
  const status = byId('search-status');
  const results = byId('search-results');
  if (!query) {
    status.textContent = 'Type what to search for.';
    byId('search-query').focus();
    return;
  }
  const top = Number(byId('search-top').value);
  if (!Number.isInteger(top) || top < 1 || top > 50) {
    status.textContent = 'Results must be a whole number from 1 to 50.';
    byId('search-top').focus();
    return;
  }
  const body = { query, top, mode: byId('search-mode').value };
  const tags = tagList(byId('search-tags').value);
  if (tags.length > 0) body.tags = tags;

  status.textContent = 'Searching…';
  results.setAttribute('aria-busy', 'true');
  try {
    const hits = await search(body);
    results.replaceChildren(...hits.map((hit, i) => result(hit, query, i + 1)));
    status.textContent = hits.length === 0
      ? 'No passage matched. Try other words, another mode, or fewer tags.'
      : `${hits.length} ${hits.length === 1 ? 'passage' : 'passages'} for “${query}” (${body.mode}${tags.length ? `, tagged ${tags.join(', ')}` : ''}).`;
  } catch (e) {
    if (e.status === 401) return;
    results.replaceChildren();
    status.textContent = `Search failed: ${e.message}`;
  } finally {
    results.removeAttribute('aria-busy');
  }
}

function result(hit, query, rank) {
  const ranges = queryTermRanges(hit.text, query);
  const window = snippetWindow(hit.text, ranges);
  const cut = window.start > 0 || window.end < hit.text.length;
  const lang = detectLanguage(hit.text);
  const snippet = h('p', { class: 'snippet', lang });
  let whole = false;
  const show = () => snippet.replaceChildren(...(whole
    ? marked(pieces(hit.text, ranges))
    : [window.start > 0 ? '…' : '', ...marked(pieces(hit.text, ranges, window.start, window.end)), window.end < hit.text.length ? '…' : '']));
  show();
  const toggle = cut ? h('button', {
    type: 'button',
    class: 'quiet small',
    'aria-expanded': 'false',
    on: {
      click: e => {
        whole = !whole;
        show();
        e.currentTarget.setAttribute('aria-expanded', String(whole));
        e.currentTarget.textContent = whole ? 'Show less' : 'Show the whole passage';
      },
    },
  }, 'Show the whole passage') : null;

  const title = hit.title ?? hit.documentId;
  const where = [hit.documentId !== title ? hit.documentId : null, hit.source !== hit.documentId ? hit.source : null,
    hit.page ? `page ${hit.page}` : null, headingPath(hit.headings)].filter(Boolean).join(' · ');
  const scores = [`score ${hit.score}`, hit.denseScore != null ? `dense ${hit.denseScore.toFixed(3)}` : null,
    hit.lexicalScore != null ? `lexical ${hit.lexicalScore.toFixed(3)}` : null].filter(Boolean).join(' · ');
  const heading = h('h2', { class: 'result-title' },
    h('span', { class: 'rank' }, `${rank}.`), ' ',
    h('a', { href: documentHref(hit.documentId), lang: detectLanguage(title), on: { click: () => { documentFocus.text = hit.text; } } }, title));
  const meta = h('p', { class: 'meta' }, where);
  setLang(meta, detectLanguage(where));
  return h('li', {}, h('article', { class: 'result' }, heading, where ? meta : null, snippet,
    h('div', { class: 'result-foot' }, toggle, h('span', { class: 'score' }, scores))));
}
