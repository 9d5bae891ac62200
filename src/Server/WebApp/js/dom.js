// Building DOM from data without HTML strings: every API string becomes a text node, never markup.

/**
 * h('p', {class: 'meta', lang: 'zh-Hant', on: {click}}, 'text', child, [more]) creates an element.
 * Props other than class, on and dataset are attributes; null, undefined and false props and
 * children are left out; true sets an empty attribute.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'on') for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Text with some ranges wrapped in <mark>: pieces from text.js. */
export function marked(pieces) {
  return pieces.map(p => (p.marked ? h('mark', {}, p.text) : p.text));
}

export const byId = id => document.getElementById(id);

/** Shows a transient message to assistive technology (and nowhere else). */
export function announce(message) {
  const region = byId('announcer');
  region.textContent = '';
  // A change after a tick is announced even when the message repeats.
  setTimeout(() => { region.textContent = message; }, 50);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> for an ISO timestamp, in the reader's locale and time zone. */
export function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? h('span', {}, iso ?? '') : h('time', { datetime: date.toISOString() }, dateFormat.format(date));
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Sets an element's language, or lets it inherit the page's when <lang> is null. */
export function setLang(element, lang) {
  if (lang) element.lang = lang;
  else element.removeAttribute('lang');
}
