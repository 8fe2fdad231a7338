// http.js, the one fetch wrapper, against a stubbed fetch: JSON decoding,
// the server's {code, message} on errors, the fallbacks for bodies that are
// not JSON and for requests that got no answer, and the CSRF header.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { ApiError, getJson, postJson, prefetch, request, useSession } from '../src/http.js';

const realFetch = globalThis.fetch;
let calls = [];
function answer(status, body, headers = {}) {
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url, init });
    return new Response(body, { status, headers });
  };
}
afterEach(() => {
  globalThis.fetch = realFetch;
  calls = [];
  useSession({ csrfToken: () => null, unauthorized: () => {} });
});

/** The error `promise` rejects with. */
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

test('a 2xx JSON answer is decoded; an empty one is null; text stays text', async () => {
  answer(200, '{"a":[1,2]}', { 'content-type': 'application/json' });
  assert.deepEqual(await getJson('/x'), { a: [1, 2] });
  answer(204, null);
  assert.equal(await postJson('/x'), null);
  answer(200, 'plain');
  assert.equal(await getJson('/x'), 'plain');
});

test('requests are same-origin JSON requests', async () => {
  answer(200, '{}');
  await postJson('/api/plans', { name: 'n' });
  const { url, init } = calls[0];
  assert.equal(url, '/api/plans');
  assert.equal(init.method, 'POST');
  assert.equal(init.credentials, 'same-origin');
  assert.equal(init.headers.accept, 'application/json');
  assert.equal(init.headers['content-type'], 'application/json');
  assert.equal(init.body, '{"name":"n"}');
  await getJson('/api/x');
  assert.equal(calls[1].init.body, undefined);
  assert.equal(calls[1].init.headers['content-type'], undefined);
});

test('writes carry the session CSRF token; reads do not', async () => {
  useSession({ csrfToken: () => 'tok' });
  answer(200, '{}');
  await postJson('/w', {});
  await request('PUT', '/w', {});
  await getJson('/r');
  assert.equal(calls[0].init.headers['x-csrf-token'], 'tok');
  assert.equal(calls[1].init.headers['x-csrf-token'], 'tok');
  assert.equal(calls[2].init.headers['x-csrf-token'], undefined);
});

test('an error answer throws ApiError with the server code, message, status and body', async () => {
  answer(409, JSON.stringify({ code: 'stale_version', message: 'the plan changed', current_version: 7 }),
    { 'content-type': 'application/json' });
  const e = await rejection(postJson('/api/plans/1/edits', {}));
  assert.ok(e instanceof ApiError);
  assert.ok(e instanceof Error);
  assert.equal(e.status, 409);
  assert.equal(e.code, 'stale_version');
  assert.equal(e.message, 'the plan changed');
  assert.equal(e.body.current_version, 7);
});

test('a 401 tells the session; other errors do not', async () => {
  let told = 0;
  useSession({ unauthorized: () => { told += 1; } });
  answer(401, '{"code":"unauthenticated","message":"sign in"}');
  assert.equal((await rejection(getJson('/api/plans'))).code, 'unauthenticated');
  answer(403, '{"code":"forbidden","message":"no"}');
  assert.equal((await rejection(getJson('/api/plans'))).status, 403);
  assert.equal(told, 1);
});

test('an error answer that is not JSON falls back to the status (and a short text line)', async () => {
  answer(502, '<html><body>Bad Gateway</body></html>', { 'content-type': 'text/html' });
  let e = await rejection(getJson('/x'));
  assert.equal(e.status, 502);
  assert.equal(e.code, 'http');
  assert.match(e.message, /^HTTP 502/);
  assert.ok(!e.message.includes('<'));
  answer(503, 'upstream down\nmore');
  e = await rejection(getJson('/x'));
  assert.equal(e.message, 'HTTP 503: upstream down');
  answer(500, '');
  e = await rejection(getJson('/x'));
  assert.equal(e.code, 'http');
  assert.match(e.message, /^HTTP 500/);
  answer(400, '{"unexpected":true}');
  e = await rejection(getJson('/x'));
  assert.equal(e.code, 'http');
  assert.match(e.message, /^HTTP 400/);
  assert.deepEqual(e.body, { unexpected: true });
});

test('a request that gets no answer throws ApiError code network, status 0', async () => {
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  const e = await rejection(getJson('/x'));
  assert.ok(e instanceof ApiError);
  assert.equal(e.code, 'network');
  assert.equal(e.status, 0);
  assert.equal(e.message, 'Failed to fetch');
});

test('an aborted request rejects with the AbortError itself', async () => {
  globalThis.fetch = async (url, init) => {
    init.signal.throwIfAborted();
    return new Response('{}');
  };
  const abort = new AbortController();
  abort.abort();
  const e = await rejection(getJson('/x', { signal: abort.signal }));
  assert.equal(e.name, 'AbortError');
  assert.ok(!(e instanceof ApiError));
});

test('prefetch never throws', async () => {
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  assert.equal(await prefetch('/fonts/x.pbf'), undefined);
  answer(404, 'no');
  assert.equal(await prefetch('/fonts/x.pbf'), undefined);
});
