// The Documents views: the list (filter, delete with confirmation), uploads with per-file
// progress and result, and one document's chunks.

import { h, byId, announce, bytes, setLang, time } from './dom.js';
import { deleteDocument, getDocument, listDocuments, uploadFile } from './api.js';
import { detectLanguage, headingPath, tagList } from './text.js';
import { documentFocus, documentHref, facts } from './passage.js';

// Files uploaded at once: the server embeds on all cores anyway; two keeps one file's upload
// going while another is embedded.
const PARALLEL_UPLOADS = 2;

let documents = [];
let onDocumentsChanged = () => {};
let shownDocument = null;
// A message for the next rendering of the list (after a delete, which may also change the view).
let notice = null;

/** <handler> gets the documents list each time it is loaded (the app keeps the tag suggestions from it). */
export function onDocuments(handler) { onDocumentsChanged = handler; }

export function initDocuments() {
  byId('document-filter').addEventListener('input', renderList);
  const input = byId('file-input');
  input.addEventListener('change', () => {
    upload([...input.files]);
    input.value = '';
  });
  const zone = byId('drop-zone');
  zone.addEventListener('dragover', e => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', e => {
    e.preventDefault();
    zone.classList.remove('dragging');
    upload([...(e.dataTransfer?.files ?? [])]);
  });
  byId('document-delete').addEventListener('click', () => shownDocument && remove(shownDocument, () => { location.hash = '#/documents'; }));
}

/** Loads and shows the list; <quiet> keeps the status line as it is (a refresh after an upload). */
export async function showDocuments({ quiet = false } = {}) {
  const status = byId('documents-status');
  if (!quiet) status.textContent = 'Loading…';
  try {
    setDocuments(await listDocuments());
    renderList();
  } catch (e) {
    if (e.status !== 401) status.textContent = `The documents could not be loaded: ${e.message}`;
  }
}

export function setDocuments(list) {
  documents = Array.isArray(list) ? list : [];
  onDocumentsChanged(documents);
}

function renderList() {
  const filter = byId('document-filter').value.trim().toLowerCase();
  const shown = filter
    ? documents.filter(d => [d.documentId, d.title, d.source, ...(d.tags ?? [])].some(v => v && v.toLowerCase().includes(filter)))
    : documents;
  byId('documents-body').replaceChildren(...shown.map(row));
  const chunks = documents.reduce((n, d) => n + (d.chunks ?? 0), 0);
  const prefix = notice ? `${notice} ` : '';
  notice = null;
  byId('documents-status').textContent = prefix + (documents.length === 0
    ? 'The knowledge base is empty: add documents above.'
    : filter
      ? `${shown.length} of ${documents.length} documents match “${filter}”.`
      : `${documents.length} ${documents.length === 1 ? 'document' : 'documents'}, ${chunks} chunks.`);
}

function row(d) {
  return h('tr', {},
    h('th', { scope: 'row', class: 'id' }, h('a', { href: documentHref(d.documentId), lang: detectLanguage(d.documentId) }, d.documentId)),
    h('td', { lang: detectLanguage(d.title ?? '') }, d.title ?? ''),
    h('td', { class: 'id source', lang: detectLanguage(d.source ?? '') }, d.source !== d.documentId ? d.source : ''),
    h('td', { class: 'number' }, d.chunks),
    h('td', {}, tags(d.tags)),
    h('td', {}, time(d.ingestedAt)),
    h('td', {}, h('button', {
      type: 'button',
      class: 'danger quiet small',
      'aria-label': `Delete ${d.documentId}`,
      on: { click: e => remove(d, () => showDocuments({ quiet: true }), e.currentTarget) },
    }, 'Delete…')));
}

function tags(list) {
  return Array.isArray(list) && list.length > 0 ? h('ul', { class: 'tags' }, list.map(t => h('li', { lang: detectLanguage(t) }, t))) : '';
}

/** Asks, then deletes <d> and calls <then>; the answer is announced either way. */
async function remove(d, then, opener = document.activeElement) {
  const chunks = d.chunks === 1 ? '1 chunk' : `${d.chunks} chunks`;
  if (!await confirm(`“${d.documentId}” and its ${chunks} will be removed from the knowledge base. This cannot be undone.`, opener)) return;
  try {
    await deleteDocument(d.documentId);
    announce(`Deleted ${d.documentId}.`);
    notice = `Deleted “${d.documentId}”.`;
    await then();
    byId('document-filter').focus();
  } catch (e) {
    if (e.status === 401) return;
    const message = `“${d.documentId}” could not be deleted: ${e.message}`;
    byId('documents-status').textContent = message;
    byId('document-status').textContent = message;
    opener?.focus();
  }
}

/** A modal yes/no question; Cancel has the focus, so Enter alone never deletes. */
function confirm(text, opener) {
  const dialog = byId('confirm-dialog');
  byId('confirm-text').textContent = text;
  return new Promise(resolve => {
    const ok = byId('confirm-ok'), cancel = byId('confirm-cancel');
    const done = answer => {
      ok.removeEventListener('click', yes);
      cancel.removeEventListener('click', no);
      dialog.removeEventListener('close', no);
      if (dialog.open) dialog.close();
      if (!answer) opener?.focus();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    ok.addEventListener('click', yes);
    cancel.addEventListener('click', no);
    dialog.addEventListener('close', no);
    dialog.showModal();
    cancel.focus();
  });
}

/** Uploads <files>, one request each, a few at a time; each gets a progress bar and its result. */
async function upload(files) {
  if (files.length === 0) return;
  const tagsToAdd = tagList(byId('upload-tags').value);
  const list = byId('upload-list');
  const items = files.map(file => {
    const progress = h('progress', { max: '100', value: '0', 'aria-label': `Upload of ${file.name}` });
    const state = h('span', { class: 'upload-state' }, 'Waiting…');
    const element = h('li', { class: 'upload', dataset: { state: 'waiting' } },
      h('span', { class: 'upload-name', lang: detectLanguage(file.name) }, file.name),
      h('span', { class: 'upload-size' }, bytes(file.size)), progress, state);
    list.prepend(element);
    return { file, element, progress, state };
  });
  announce(`Uploading ${files.length} ${files.length === 1 ? 'file' : 'files'}.`);

  const queue = [...items];
  const worker = async () => {
    for (let item; (item = queue.shift());) await uploadOne(item, tagsToAdd);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, items.length) }, worker));
  await showDocuments({ quiet: true });
  const failed = items.filter(i => i.element.dataset.state === 'failed').length;
  announce(`Upload finished: ${items.length - failed} of ${items.length} ${items.length === 1 ? 'file' : 'files'} in the knowledge base${failed ? `, ${failed} failed` : ''}.`);
}

async function uploadOne(item, tagsToAdd) {
  const { file, element, progress, state } = item;
  element.dataset.state = 'uploading';
  state.textContent = 'Uploading…';
  try {
    const { report } = await uploadFile(file, { tags: tagsToAdd }, share => {
      progress.value = Math.round(share * 100);
      state.textContent = share < 1 ? `Uploading… ${Math.round(share * 100)}%` : 'Reading and embedding…';
    });
    progress.value = 100;
    showOutcome(item, outcomeOf(report));
  } catch (e) {
    showOutcome(item, { outcome: 'failed', reason: e.message });
  }
}

/** The one file's result in an ingest report (one file per upload request). */
function outcomeOf(report) {
  const entry = report.documents?.[0];
  if (entry) return { outcome: entry.outcome, documentId: entry.documentId, chunks: entry.chunks };
  const failed = report.failed?.[0];
  if (failed) return { outcome: 'failed', reason: failed.reason ?? 'the server gave no reason' };
  const skipped = report.skipped?.[0];
  if (skipped) return { outcome: 'skipped', reason: skipped.reason ?? 'the server gave no reason' };
  return { outcome: 'failed', reason: 'the server reported nothing for this file' };
}

const OUTCOMES = {
  added: 'Added',
  replaced: 'Replaced its earlier version',
  unchanged: 'Unchanged: already in the knowledge base',
  removed: 'Removed',
  skipped: 'Skipped',
  failed: 'Failed',
};

function showOutcome({ element, state }, result) {
  element.dataset.state = result.outcome;
  const words = OUTCOMES[result.outcome] ?? result.outcome;
  const parts = [words];
  if (result.reason) parts.push(`: ${result.reason}`);
  if (result.documentId) {
    const chunks = result.chunks === 1 ? '1 chunk' : `${result.chunks ?? 0} chunks`;
    state.replaceChildren(`${words} (${chunks}) as `, h('a', { href: documentHref(result.documentId), lang: detectLanguage(result.documentId) }, result.documentId));
  } else {
    state.textContent = parts.join('');
  }
  if (result.outcome === 'failed') state.setAttribute('role', 'alert');
}

/** Shows one document with its chunks; scrolls to the passage a citation or search result pointed at. */
export async function showDocument(id) {
  const status = byId('document-status');
  const title = byId('document-title');
  const focus = documentFocus.text;
  documentFocus.text = null;
  shownDocument = null;
  byId('document-delete').hidden = true;
  title.textContent = id;
  setLang(title, detectLanguage(id));
  byId('document-facts').replaceChildren();
  byId('document-chunks').replaceChildren();
  status.textContent = 'Loading…';
  let detail;
  try {
    detail = await getDocument(id);
  } catch (e) {
    if (e.status === 401) return;
    status.textContent = e.status === 404
      ? `There is no document “${id}” in the knowledge base (it may have been deleted).`
      : `The document could not be loaded: ${e.message}`;
    return;
  }
  const d = detail.document;
  shownDocument = d;
  title.textContent = d.title ?? d.documentId;
  setLang(title, detectLanguage(title.textContent));
  document.title = `${title.textContent} · KnowledgeQa`;
  byId('document-delete').hidden = false;
  byId('document-delete').setAttribute('aria-label', `Delete ${d.documentId}`);
  byId('document-facts').replaceChildren(...facts([
    ['Document', d.documentId],
    ['Source', d.source !== d.documentId ? d.source : null],
    ['Tags', (d.tags ?? []).join(', ')],
    ['Tenant', d.tenant],
    ['Ingested', time(d.ingestedAt), 'en'],
    ['Chunks', String(d.chunks), 'en'],
  ]));
  status.textContent = '';
  let focused = null;
  const chunks = detail.chunks.map(c => {
    const where = [c.page ? `page ${c.page}` : null, headingPath(c.headings)].filter(Boolean).join(' · ');
    const isFocus = focus !== null && c.text === focus;
    const item = h('li', { class: isFocus ? 'chunk focused' : 'chunk', tabindex: isFocus ? '-1' : null },
      h('h2', { class: 'chunk-title' }, `Chunk ${c.index + 1}`, where ? h('span', { class: 'meta', lang: detectLanguage(where) }, ` · ${where}`) : null),
      h('p', { class: 'chunk-text', lang: detectLanguage(c.text) }, c.text));
    if (isFocus) focused = item;
    return item;
  });
  byId('document-chunks').replaceChildren(...chunks);
  if (focused) {
    focused.scrollIntoView({ block: 'center' });
    focused.focus({ preventScroll: true });
  }
}
