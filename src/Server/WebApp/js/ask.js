// The Ask view: a conversation whose answers stream in, with numbered citations that open the
// cited passage, the answer's mode and refusals shown as they are, and a stop button.

import { h, byId, announce, setLang } from './dom.js';
import { askStream, ApiError } from './api.js';
import { answerLanguage, detectLanguage, headingPath, splitCitations, tagList } from './text.js';
import { openPassage } from './passage.js';

// Earlier turns sent with a follow-up: enough context to resolve "it" and "that", small enough
// to stay far below the server's request-size limit.
const HISTORY_TURNS = 10;

const turns = [];
let running = null;

export function initAsk() {
  const form = byId('ask-form');
  const question = byId('question');
  form.addEventListener('submit', e => { e.preventDefault(); ask(); });
  question.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  byId('ask-stop').addEventListener('click', () => running?.abort());
  byId('ask-new').addEventListener('click', () => {
    running?.abort();
    turns.length = 0;
    byId('conversation').replaceChildren();
    byId('ask-intro').hidden = false;
    byId('ask-new').disabled = true;
    question.focus();
    announce('New conversation started.');
  });
}

/** The conversation so far as the API's history: completed turns, oldest first. */
export function history() {
  return turns.filter(t => t.answer).slice(-HISTORY_TURNS).flatMap(t => [
    { role: 'user', content: t.question },
    { role: 'assistant', content: t.answer.answer },
  ]);
}

function options() {
  const body = {};
  const mode = byId('ask-mode').value;
  if (mode !== 'hybrid') body.mode = mode;
  const tags = tagList(byId('ask-tags').value);
  if (tags.length > 0) body.tags = tags;
  const top = Number(byId('ask-top').value);
  if (Number.isInteger(top) && top >= 1 && top <= 50 && top !== 5) body.top = top;
  return body;
}

async function ask() {
  const input = byId('question');
  const question = input.value.trim();
  if (running) return;
  if (!question) {
    input.focus();
    announce('Type a question first.');
    return;
  }

  const body = { question, ...options() };
  const past = history();
  if (past.length > 0) body.history = past;

  const turn = { question, text: '', answer: null, status: 'streaming', error: null };
  turn.element = h('article', { class: 'turn', 'aria-busy': 'true' });
  turns.push(turn);
  byId('ask-intro').hidden = true;
  byId('ask-new').disabled = false;
  byId('conversation').append(turn.element);
  render(turn);
  input.value = '';

  const controller = new AbortController();
  running = controller;
  setRunning(true);
  try {
    for await (const event of askStream(body, controller.signal)) {
      if (event.event === 'delta' && typeof event.data?.text === 'string') {
        turn.text += event.data.text;
        turn.streamed.textContent = turn.text;
        setLang(turn.streamed, detectLanguage(turn.text));
      } else if (event.event === 'answer') {
        turn.answer = event.data;
      }
    }
    turn.status = turn.answer ? 'done' : 'error';
    if (!turn.answer) turn.error = 'The answer stream ended without the final answer.';
  } catch (e) {
    if (e.name === 'AbortError') {
      turn.status = 'stopped';
    } else {
      turn.status = 'error';
      turn.error = e instanceof ApiError ? e.message : String(e.message ?? e);
    }
  } finally {
    running = null;
    render(turn);
    setRunning(false);
    announce(summary(turn));
  }
}

function setRunning(on) {
  const submit = byId('ask-submit'), stop = byId('ask-stop');
  const focusWasOn = document.activeElement;
  submit.disabled = on;
  stop.disabled = !on;
  // A disabled button drops its focus: hand it to the control that now does something.
  if (on && focusWasOn === submit) stop.focus();
  if (!on && (focusWasOn === stop || focusWasOn === document.body)) byId('question').focus();
}

function summary(turn) {
  switch (turn.status) {
    case 'done': return turn.answer.refused ? 'The knowledge base has no answer to this question.' : `Answer: ${turn.answer.answer}`;
    case 'stopped': return 'Stopped. The answer is incomplete.';
    default: return `The answer failed: ${turn.error}`;
  }
}

function render(turn) {
  const question = h('div', { class: 'question' },
    h('h2', { class: 'visually-hidden' }, 'Question'),
    h('p', { lang: detectLanguage(turn.question) }, turn.question));
  turn.element.setAttribute('aria-busy', String(turn.status === 'streaming'));
  turn.element.dataset.status = turn.status;
  turn.element.replaceChildren(question, h('div', { class: 'answer' }, h('h2', { class: 'visually-hidden' }, 'Answer'), ...answerParts(turn)));
}

function answerParts(turn) {
  if (turn.status === 'streaming' || (turn.status !== 'done' && !turn.answer)) {
    turn.streamed = h('p', { class: 'answer-text', lang: detectLanguage(turn.text) }, turn.text);
    const state = {
      streaming: h('p', { class: 'badge working' }, 'Answering…'),
      stopped: h('p', { class: 'badge warning' }, 'Stopped: the answer is incomplete.'),
      error: h('p', { class: 'error', role: 'alert' }, `The answer failed: ${turn.error}`),
    }[turn.status];
    return [h('div', { class: 'badges' }, state), turn.streamed];
  }
  const answer = turn.answer;
  const lang = answerLanguage(answer, answer.answer);
  const citations = Array.isArray(answer.citations) ? answer.citations : [];
  const byNumber = new Map(citations.map(c => [c.number, c]));
  // An extractive answer quotes sentences whose line breaks are the document's wrapping, not the answer's.
  const shown = answer.mode === 'extractive' ? answer.answer.replace(/(?<!\n)\n(?!\n)/g, ' ') : answer.answer;
  const text = h('p', { class: 'answer-text', lang },
    splitCitations(shown, new Set(byNumber.keys())).map(part => part.numbers
      ? part.numbers.map(n => citeButton(n, byNumber.get(n), answer.answer))
      : part.text));
  return [
    h('div', { class: 'badges' }, ...badges(answer)),
    answer.label && !answer.refused ? h('p', { class: 'label', lang }, answer.label) : null,
    text,
    citations.length > 0 ? sources(citations, answer.answer) : null,
  ];
}

function badges(answer) {
  const list = [];
  if (answer.mode === 'generative') list.push(h('span', { class: 'badge generative' }, 'Generated by the chat model'));
  else if (answer.mode === 'extractive') list.push(h('span', { class: 'badge extractive' }, 'Extractive: sentences quoted from the passages'));
  if (answer.refused) list.push(h('span', { class: 'badge refused' }, 'Not found in the knowledge base'));
  else if (!answer.grounded) list.push(h('span', { class: 'badge warning' }, 'Cites no passage: it may not come from the knowledge base'));
  return list;
}

function citeButton(number, citation, answerText) {
  const title = citation.title ?? citation.documentId;
  return h('button', {
    type: 'button',
    class: 'cite',
    'aria-label': `Source ${number}: ${title}`,
    on: { click: () => openPassage(number, citation, answerText) },
  }, `[${number}]`);
}

function sources(citations, answerText) {
  return h('section', { class: 'sources', 'aria-label': 'Sources' },
    h('h3', {}, 'Sources'),
    h('ol', {}, citations.map(c => h('li', {},
      citeButton(c.number, c, answerText),
      ' ',
      h('span', { class: 'source-title', lang: detectLanguage(c.title ?? c.documentId) }, c.title ?? c.documentId),
      origin(c)))));
}

function origin(c) {
  const line = [c.documentId !== (c.title ?? c.documentId) ? c.documentId : null, c.page ? `page ${c.page}` : null, headingPath(c.headings)]
    .filter(Boolean).join(' · ');
  return line ? [' ', h('span', { class: 'meta', lang: detectLanguage(line) }, line)] : null;
}
