// The map renders under the server's own Content-Security-Policy: the page
// is served with the CSP header gridmap sends, its script from a file (no
// inline script), and any CSP violation shows up as a console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, mapPage, startServer } from './harness.mjs';

const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>gridmap CSP test</title>
<link rel="stylesheet" href="maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div>
<script src="maplibre-gl.js"></script>
<script src="page.js"></script></body></html>`;

const script = `
  const map = new maplibregl.Map({
    container: 'map', style: '/style.json', center: [118.7837, 32.0416], zoom: 16,
    localIdeographFontFamily: "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif",
  });
  map.on('error', (e) => console.error('map error: ' + (e.error && e.error.message)));
  map.once('idle', () => { window.__idle = true; });
  window.__map = map;
`;

test('the map renders under the server CSP without violations', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const csp = (await fetch(`${server.base}/health`)).headers.get('content-security-policy');
    assert.ok(csp && csp.startsWith("default-src 'self'"), `server CSP: ${csp}`);
    const { page, problems } = await mapPage(browser, server.base, html);
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    // Registered after mapPage's handler, so it runs first.
    await page.route(`${server.base}/__test/**`, (route) => {
      const name = new URL(route.request().url()).pathname.replace('/__test/', '');
      if (name === 'index.html') {
        return route.fulfill({ body: html, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': csp } });
      }
      if (name === 'page.js') return route.fulfill({ body: script, contentType: 'text/javascript' });
      return route.fallback();
    });
    await page.goto(`${server.base}/__test/index.html`);
    await page.waitForFunction(() => window.__idle === true, null, { timeout: 60_000 });
    const drawn = await page.evaluate(() => window.__map.queryRenderedFeatures().length);
    assert.deepEqual(violations, []);
    assert.deepEqual(problems, []);
    assert.ok(drawn > 0, 'features drawn');
  } finally {
    await browser.close();
    server.stop();
  }
});
