// The passage dialog: a cited passage with where it comes from and the sentences the answer used.

import { h, byId, marked, setLang } from './dom.js';
import { detectLanguage, headingPath, passageHighlights, pieces } from './text.js';

/** The passage the document view should scroll to when it opens next (set by citation and search links). */
export const documentFocus = { text: null };

/** The URL of a document's view: the whole id in one escaped segment of the hash. */
export function documentHref(id) {
  return '#/documents/' + encodeURIComponent(id);
}

/** <dt>/<dd> pairs for a description list, leaving out empty values. */
export function facts(entries) {
  return entries.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .flatMap(([term, value, lang]) => [h('dt', {}, term), h('dd', { lang: lang ?? detectLanguage(String(value)) }, value)]);
}

/** Where a passage comes from, as description-list entries: document, title, source, page, section. */
export function originFacts(item) {
  return [
    ['Document', item.documentId],
    ['Title', item.title],
    ['Source', item.source !== item.documentId ? item.source : null],
    ['Page', item.page],
    ['Section', headingPath(item.headings)],
  ];
}

let opener = null;

export function initPassageDialog() {
  const dialog = byId('passage-dialog');
  byId('passage-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', e => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => { opener?.focus(); opener = null; });
  byId('passage-document').addEventListener('click', () => dialog.close());
}

/**
 * Opens citation [<number>] of <answer>: its document, page and heading path, and its text with
 * the sentences the answer used highlighted.
 */
export function openPassage(number, citation, answerText) {
  const dialog = byId('passage-dialog');
  opener = document.activeElement;
  const title = citation.title ?? citation.documentId;
  byId('passage-title').replaceChildren(`Source [${number}]: `, h('span', { lang: detectLanguage(title) }, title));
  byId('passage-facts').replaceChildren(...facts(originFacts(citation)));
  const ranges = passageHighlights(citation.text, answerText, number, citation.highlights);
  const text = byId('passage-text');
  setLang(text, detectLanguage(citation.text));
  text.replaceChildren(...marked(pieces(citation.text, ranges)));
  byId('passage-note').textContent = ranges.length > 0
    ? 'Highlighted: what the answer took from this passage.'
    : 'No sentence of this passage matches the answer closely enough to highlight.';
  const link = byId('passage-document');
  link.href = documentHref(citation.documentId);
  link.onclick = () => { documentFocus.text = citation.text; };
  dialog.showModal();
  byId('passage-close').focus();
}
