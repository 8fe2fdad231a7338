// Temporary probe: timeline of the first map render on /find.
import { launch, startServer, appPage } from './harness.mjs';
const server = await startServer();
const browser = await launch();
const route = process.argv[2] ?? '/find';
for (let run = 0; run < 3; run++) {
  const { context, page } = await appPage(browser);
  await page.addInitScript(() => {
    window.__marks = [];
    const mark = (n) => window.__marks.push([n, Math.round(performance.now())]);
    window.__mark = mark;
    const iv = setInterval(() => {
      if (window.maplibregl && !window.__mlMarked) { window.__mlMarked = 1; mark('maplibre global'); }
      const m = window.__map;
      if (m && !m.__probed) {
        m.__probed = 1; mark('map created');
        m.once('styledata', () => mark('styledata'));
        m.once('load', () => mark('load'));
        m.once('render', () => mark('first render'));
        m.on('data', (e) => { if (e.dataType === 'source' && e.tile && !window.__t1) { window.__t1 = 1; mark('first tile'); } });
        m.once('idle', () => { mark('idle'); clearInterval(iv); });
      }
    }, 5);
  });
  await page.goto(`${server.base}${route}`);
  await page.waitForFunction(() => typeof window.__firstIdleMs === 'number', null, { timeout: 60000 });
  const marks = await page.evaluate(() => window.__marks);
  const res = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.responseEnd)]));
  const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return { dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }; });
  console.log(`run ${run}:`, JSON.stringify(nav), marks.map(([n, t]) => `${n}@${t}`).join(' '));
  if (run === 2) for (const r of res) console.log('   ', r.join(' '));
  await context.close();
}
await browser.close();
server.stop?.();
process.exit(0);
