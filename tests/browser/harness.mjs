// Start a real `gridmap serve` on a temporary store and a headless Chromium
// that may talk to nothing but 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const root = path.resolve(import.meta.dirname, '../..');
export const artifacts = path.join(root, 'tests', 'artifacts');
const bin = process.env.GRIDMAP_BIN ?? path.join(root, 'target', 'debug', 'gridmap');
const modules = path.join(import.meta.dirname, 'node_modules');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startServer(args = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gridmap-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['--db', `sqlite://${dir}/gridmap.db`, 'serve', '--listen', `127.0.0.1:${port}`, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gridmap (${bin}) did not answer /health within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const db = `sqlite://${dir}/gridmap.db`;
  /** Run `gridmap --db <this store> ...args` (stdin = input); its stdout. */
  const cli = (cliArgs, input = '') =>
    execFileSync(bin, ['--db', db, ...cliArgs], { input, env: { ...process.env, RUST_LOG: 'warn' } }).toString();
  return { base, dir, cli, stop: () => child.kill('SIGTERM') };
}

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const vendor = {
  'maplibre-gl.js': ['maplibre-gl/dist/maplibre-gl.js', 'text/javascript'],
  'maplibre-gl.css': ['maplibre-gl/dist/maplibre-gl.css', 'text/css'],
};

/**
 * A page with MapLibre GL JS served same-origin under `${base}/__test/`,
 * recording console errors, failed requests and any request that leaves 127.0.0.1.
 */
export async function mapPage(browser, base, html) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      problems.push(`outside request: ${url}`);
      return route.abort();
    }
    return route.continue();
  });
  await page.route(`${base}/__test/**`, (route) => {
    const name = new URL(route.request().url()).pathname.replace('/__test/', '');
    if (name === 'index.html') return route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' });
    const v = vendor[name];
    if (!v) return route.fulfill({ status: 404, body: 'no such test file' });
    return route.fulfill({ body: readFileSync(path.join(modules, v[0])), contentType: v[1] });
  });
  mkdirSync(artifacts, { recursive: true });
  return { page, problems };
}

/**
 * A page of the real app (served by the binary) in a fresh context,
 * recording console errors, page errors, failed requests (other than
 * requests the app itself cancelled), HTTP errors and any request that
 * leaves 127.0.0.1. `options` go to browser.newContext (viewport, touch,
 * geolocation, permissions…).
 */
export async function appPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText ?? '';
    // MapLibre cancels tile requests that leave the view; the search cancels stale queries.
    if (!reason.includes('ERR_ABORTED')) problems.push(`request failed: ${r.url()} ${reason}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      problems.push(`outside request: ${url}`);
      return route.abort();
    }
    return route.continue();
  });
  mkdirSync(artifacts, { recursive: true });
  return { context, page, problems };
}

/** Wait until the page's map has rendered everything once; its first-idle time in ms since navigation. */
export async function mapIdle(page) {
  await page.waitForFunction(() => typeof window.__firstIdleMs === 'number', null, { timeout: 60_000 });
  return page.evaluate(() => window.__firstIdleMs);
}

/** Wait until the map is idle again (after a move). */
export async function settled(page) {
  await page.waitForFunction(() => window.__map && window.__map.loaded() && !window.__map.isMoving(), null, { timeout: 30_000 });
  await page.evaluate(() => new Promise((resolve) => {
    if (window.__map.areTilesLoaded()) resolve();
    else window.__map.once('idle', resolve);
  }));
}
