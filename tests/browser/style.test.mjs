// The server's MapLibre style renders the Nanjing sample in a real browser
// with no console errors and nothing loaded from outside 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, launch, mapPage, startServer } from './harness.mjs';

const page_html = (center, zoom) => `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>gridmap style test</title>
<link rel="stylesheet" href="maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div>
<script src="maplibre-gl.js"></script>
<script>
  const started = performance.now();
  const map = new maplibregl.Map({
    container: 'map', style: '/style.json', center: ${JSON.stringify(center)}, zoom: ${zoom},
    localIdeographFontFamily: "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif",
  });
  map.on('error', (e) => console.error('map error: ' + (e.error && e.error.message)));
  map.once('idle', () => { window.__firstIdleMs = performance.now() - started; window.__idle = true; });
  window.__map = map;
</script></body></html>`;

for (const [name, center, zoom] of [
  ['z14-overview', [118.7805, 32.0439], 14],
  ['z16-xinjiekou', [118.7837, 32.0416], 16.3],
]) {
  test(`style renders ${name} without errors`, async () => {
    const server = await startServer();
    const browser = await launch();
    try {
      const { page, problems } = await mapPage(browser, server.base, page_html(center, zoom));
      await page.goto(`${server.base}/__test/index.html`);
      await page.waitForFunction(() => window.__idle === true, null, { timeout: 60_000 });
      const seen = await page.evaluate(() => {
        const count = (layer) => window.__map.queryRenderedFeatures({ layers: [layer] }).length;
        return {
          buildings: count('buildings') + count('buildings-points'),
          grids: count('grids-fill'),
          communities: count('communities-line'),
          roads: count('roads-minor') + count('roads-major'),
          stations: count('stations'),
          firstIdleMs: window.__firstIdleMs,
        };
      });
      await page.screenshot({ path: path.join(artifacts, `style-${name}.png`) });
      console.log(`${name}: ${JSON.stringify(seen)}`);
      assert.deepEqual(problems, []);
      assert.ok(seen.buildings > 0, 'buildings drawn');
      assert.ok(seen.grids > 0, 'grids drawn');
      assert.ok(seen.communities > 0, 'communities drawn');
      assert.ok(seen.roads > 0, 'roads drawn');
    } finally {
      await browser.close();
      server.stop();
    }
  });
}
