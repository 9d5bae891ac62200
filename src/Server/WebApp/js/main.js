// The app's frame: the API key gate, the views behind hash routes (#/ask, #/search, #/documents,
// #/documents/<id>), and the server's health.

import { h, byId, announce } from './dom.js';
import { apiKey, checkKey, health, listDocuments, onUnauthorized } from './api.js';
import { initAsk } from './ask.js';
import { initSearch } from './search.js';
import { initDocuments, onDocuments, setDocuments, showDocument, showDocuments } from './documents.js';
import { initPassageDialog } from './passage.js';

const VIEWS = {
  key: { section: 'view-key', title: 'API key' },
  ask: { section: 'view-ask', title: 'Ask', nav: 'ask' },
  search: { section: 'view-search', title: 'Search', nav: 'search' },
  documents: { section: 'view-documents', title: 'Documents', nav: 'documents' },
  document: { section: 'view-document', title: 'Document', nav: 'documents' },
};

// Whether the API answers us: with no key configured on the server, or with the key given.
let authorized = false;
let started = false;
let firstView = true;

function showView(name) {
  const view = VIEWS[name];
  for (const [other, { section }] of Object.entries(VIEWS)) byId(section).hidden = other !== name;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.view === view.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  byId('nav').hidden = name === 'key';
  byId('forget-key').hidden = name === 'key' || !apiKey.get();
  document.title = `${view.title} · KnowledgeQa`;
  // On a change of view, focus goes to its heading so that keyboard and screen-reader users start there.
  if (!firstView) byId(view.section).querySelector('h1').focus();
  else if (name === 'key') byId('key-input').focus();
  else if (name === 'ask') byId('question').focus();
  firstView = false;
}

function route() {
  if (!authorized) {
    showView('key');
    return;
  }
  const hash = location.hash;
  if (hash.startsWith('#/documents/')) {
    showView('document');
    showDocument(decodeURIComponent(hash.slice('#/documents/'.length)));
  } else if (hash === '#/documents') {
    showView('documents');
    showDocuments();
  } else if (hash === '#/search') {
    showView('search');
  } else {
    showView('ask');
  }
}

function initKeyForm() {
  const input = byId('key-input');
  const error = byId('key-error');
  byId('key-form').addEventListener('submit', async e => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      error.textContent = 'Enter the API key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    const submit = byId('key-submit');
    submit.disabled = true;
    error.textContent = '';
    try {
      if (!await checkKey(key)) {
        error.textContent = 'The server did not accept this key. Check it and try again.';
        input.setAttribute('aria-invalid', 'true');
        input.select();
        return;
      }
      apiKey.set(key);
      input.value = '';
      input.removeAttribute('aria-invalid');
      authorized = true;
      announce('Key accepted.');
      await loadTags();
      route();
    } catch (e2) {
      error.textContent = e2.message;
    } finally {
      submit.disabled = false;
      if (!authorized) input.focus();
    }
  });

  byId('forget-key').addEventListener('click', () => {
    apiKey.forget();
    authorized = false;
    byId('key-error').textContent = '';
    route();
    announce('Key forgotten.');
  });

  onUnauthorized(() => {
    const hadKey = apiKey.get() !== null;
    apiKey.forget();
    authorized = false;
    byId('key-error').textContent = hadKey ? 'The server no longer accepts the key. Enter it again.' : '';
    if (started) route();
  });
}

/** The tags of the documents, offered as suggestions wherever a tag is typed. */
function showTags(documents) {
  const tags = [...new Set(documents.flatMap(d => d.tags ?? []))].sort();
  byId('known-tags').replaceChildren(...tags.map(t => h('option', { value: t })));
}

async function loadTags() {
  setDocuments(await listDocuments());
}

/** A banner while the server is not ready (a starting server answers /healthz with 503), checked until it is. */
async function watchHealth() {
  const banner = byId('server-status');
  for (;;) {
    const state = await health();
    if (state.ok && state.status === 'ok') {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    banner.textContent = state.status === 'starting'
      ? 'The server is starting: its models are loading. Answers and searches wait until it is ready.'
      : state.status === 'unreachable'
        ? 'The server cannot be reached. Is kqa serve running?'
        : `The server reports: ${state.status}.`;
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

async function start() {
  initKeyForm();
  initPassageDialog();
  initAsk();
  initSearch();
  initDocuments();
  onDocuments(showTags);
  byId('skip-link').addEventListener('click', e => {
    e.preventDefault();
    byId('main').focus();
  });
  watchHealth();
  try {
    // With a key configured and none given, this is a 401: the key prompt follows.
    await loadTags();
    authorized = true;
  } catch (e) {
    // Anything but a refused key: the views show their own errors (and a 401 later still brings the prompt).
    authorized = e.status !== 401;
  }
  started = true;
  byId('loading').hidden = true;
  window.addEventListener('hashchange', route);
  route();
  performance.mark('kqa-ready');
  document.documentElement.dataset.ready = 'true';
}

start();
