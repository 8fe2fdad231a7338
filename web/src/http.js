// Every request the app makes goes through this module (a unit test greps
// web/src for `fetch(` elsewhere). Requests are same-origin with the
// session cookie; writes carry the CSRF token of the signed-in session;
// answers are decoded as JSON. A non-2xx answer throws an ApiError with the
// server's `{code, message}` (every server error is such a JSON body), its
// HTTP `status` and the whole decoded `body` (a 409 `stale_version` carries
// `current_version`, …). No imports: the module runs under Node for its
// unit test as well.
//
// MapLibre's own requests (style, tiles, glyphs) are not made here.

/** An error answer, or a request that did not reach the server. */
export class ApiError extends Error {
  /**
   * status: the HTTP status (0 when the request never got an answer);
   * code: the server's stable code (`not_in_grid`, `stale_version`, …),
   * `network` when the request failed, `http` when the answer had none;
   * body: the decoded error body (an object, a string or null).
   */
  constructor(status, code, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// Set by session.js: the CSRF token writes carry, and what a 401 means.
let hooks = { csrfToken: () => null, unauthorized: () => {} };

/**
 * Let the session module supply the CSRF token (`csrfToken()` → string or
 * null) and hear of 401 answers (`unauthorized()`).
 */
export function useSession(h) {
  hooks = { ...hooks, ...h };
}

/** Longest plain-text body used as an error's message. */
const MAX_TEXT_MESSAGE = 200;

/**
 * A JSON request. `body` (any JSON value; undefined for none) is sent as
 * JSON. Resolves to the decoded answer (null for an empty one, the text for
 * a body that is not JSON). Throws ApiError for a non-2xx answer or a
 * network failure; an aborted request rejects with the AbortError itself.
 */
export async function request(method, path, body, { signal } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = hooks.csrfToken();
    if (token) headers['x-csrf-token'] = token;
  }
  let r;
  try {
    r = await fetch(path, {
      method, headers, signal, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e?.message || 'network error');
  }
  let text;
  try {
    text = await r.text();
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(r.ok ? 0 : r.status, 'network', e?.message || 'network error');
  }
  let data = null;
  let json = false;
  if (text) {
    try {
      data = JSON.parse(text);
      json = true;
    } catch {
      data = text;
    }
  }
  if (r.ok) return data;
  if (r.status === 401) hooks.unauthorized();
  throw errorOf(r, data, json);
}

/** The ApiError of a non-2xx answer with its decoded body. */
function errorOf(r, data, json) {
  const obj = json && data && typeof data === 'object' ? data : null;
  const code = typeof obj?.code === 'string' && obj.code ? obj.code : 'http';
  let message = typeof obj?.message === 'string' && obj.message ? obj.message : null;
  if (!message && !json && typeof data === 'string') {
    // A proxy's or a crashed server's plain-text answer: its first line, if short and not HTML.
    const line = data.trim().split('\n')[0].trim();
    if (line && line.length <= MAX_TEXT_MESSAGE && !line.startsWith('<')) message = `HTTP ${r.status}: ${line}`;
  }
  message ??= `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`;
  return new ApiError(r.status, code, message, data);
}

export const getJson = (path, opts) => request('GET', path, undefined, opts);
export const postJson = (path, body, opts) => request('POST', path, body ?? {}, opts);
export const putJson = (path, body, opts) => request('PUT', path, body, opts);

/**
 * Fetch a URL and drop the answer, only to have it in the browser's cache
 * before something else (MapLibre) asks for it. Never throws.
 */
export function prefetch(url) {
  return fetch(url, { credentials: 'same-origin' })
    .then((r) => r.arrayBuffer())
    .then(() => undefined, () => undefined);
}
