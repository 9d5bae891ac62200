// The HTTP API of kqa serve, seen from the browser: the bearer key, JSON calls with the API's
// {"error": "..."} bodies, the answer stream (server-sent events over fetch) and file uploads.

const KEY_STORAGE = 'kqa.apiKey';

/** An API call that failed: the HTTP status (0 when the server could not be reached) and the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Called with the error when the server answers 401: the app forgets the key and asks again.
let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

/** The key is kept for this browser tab only (sessionStorage): closing the tab forgets it. */
export const apiKey = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: key => sessionStorage.setItem(KEY_STORAGE, key),
  forget: () => sessionStorage.removeItem(KEY_STORAGE),
};

function headers(extra = {}, key = apiKey.get()) {
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (typeof body?.error === 'string') message = body.error;
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(response.status, message);
}

async function send(method, path, { json, signal, key, accept = 'application/json' } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: headers(json === undefined ? { Accept: accept } : { Accept: accept, 'Content-Type': 'application/json' }, key),
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server could not be reached. Is kqa serve still running?');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && key === undefined) unauthorized(error);
    throw error;
  }
  return response;
}

async function call(method, path, options) {
  const response = await send(method, path, options);
  return response.status === 204 ? null : response.json();
}

/** The path of a document: each segment of the id escaped, its '/' kept, as the {**id} routes expect. */
export function documentPath(id) {
  return 'v1/documents/' + id.split('/').map(encodeURIComponent).join('/');
}

export const listDocuments = (options) => call('GET', 'v1/documents', options);
export const getDocument = id => call('GET', documentPath(id));
export const deleteDocument = id => call('DELETE', documentPath(id));
export const search = body => call('POST', 'v1/search', { json: body });

/** Whether <key> opens the API: true, or false when the server refuses it (other failures throw). */
export async function checkKey(key) {
  try {
    await send('GET', 'v1/documents', { key });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    throw e;
  }
}

/** GET /healthz: {status, ...} whatever the status code (a server that is starting answers 503). */
export async function health() {
  try {
    const response = await fetch('healthz', { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    return { ok: response.ok, status: body.status ?? (response.ok ? 'ok' : `${response.status}`), body };
  } catch {
    return { ok: false, status: 'unreachable', body: {} };
  }
}

/**
 * POST /v1/ask as a stream: yields {event: 'delta', data: {text}} as the answer is written, then
 * {event: 'answer', data: AnswerResult}; an 'error' event is thrown as an ApiError. Aborting
 * <signal> stops reading and closes the request, so the server stops generating.
 */
export async function* askStream(body, signal) {
  const response = await send('POST', 'v1/ask', { json: body, signal, accept: 'text/event-stream' });
  if (!(response.headers.get('Content-Type') ?? '').startsWith('text/event-stream')) {
    // A server that does not stream answers the whole object at once.
    yield { event: 'answer', data: await response.json() };
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!event) continue;
        if (event.event === 'error') throw new ApiError(500, event.data?.error ?? 'the answer failed');
        yield event;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  return { event, data: JSON.parse(data.join('\n')) };
}

/**
 * Uploads one file (one request, so each file has its own progress and result). <onProgress>
 * gets the share of bytes sent (0..1); resolves with {status, report} for answers that carry an
 * ingest report (200, 207, 422), rejects with an ApiError otherwise. XMLHttpRequest, because
 * fetch cannot report upload progress.
 */
export function uploadFile(file, { tags = [] } = {}, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const tag of tags) form.append('tag', tag);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', 'v1/documents');
    for (const [name, value] of Object.entries(headers({ Accept: 'application/json' }))) xhr.setRequestHeader(name, value);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.upload.addEventListener('load', () => onProgress(1));
    xhr.addEventListener('error', () => reject(new ApiError(0, 'The upload was cut off: the server could not be reached.')));
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if ([200, 207, 422].includes(xhr.status) && body && Array.isArray(body.documents)) {
        resolve({ status: xhr.status, report: body });
        return;
      }
      const error = new ApiError(xhr.status, typeof body?.error === 'string' ? body.error : `${xhr.status} ${xhr.statusText}`);
      if (xhr.status === 401) unauthorized(error);
      reject(error);
    });
    xhr.send(form);
  });
}
