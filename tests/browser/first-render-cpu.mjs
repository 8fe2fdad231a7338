// Where a first map render's time goes: loads /find (or PAGE) RUNS times, each in a fresh
// browser context on a warm server, and prints per load the time to the map's first `idle`,
// its `load`, the frames MapLibre drew, and the CPU time every Chromium process type used
// from navigation to `idle` (read from /proc, so Linux only). VISITS=N loads the page N times
// in each context, as a repeat visitor does (HTTP and code caches warm).
//
//   GRIDMAP_BIN=target/release/gridmap [VISITS=N] node tests/browser/first-render-cpu.mjs [served|no-labels|background] [RUNS]
//
// The style variants rewrite /style.json in the browser: `no-labels` drops the symbol layers,
// `background` keeps only the background layer (an empty map: HTML, scripts, one frame).
// Not a test: `npm test` does not run it (the file name has no `.test.`).
import { readFileSync, readdirSync } from 'node:fs';
import { appPage, launch, mapIdle, startServer } from './harness.mjs';

const variant = process.argv[2] ?? 'served';
const runs = Number(process.argv[3] ?? 5);
const page = process.env.PAGE ?? '/find';
const visits = Number(process.env.VISITS ?? 1);
const keep = {
  served: () => true,
  'no-labels': (layer) => layer.type !== 'symbol',
  background: (layer) => layer.type === 'background',
}[variant];
if (!keep || !(runs > 0) || !(visits > 0)) {
  console.error('usage: [VISITS=N] first-render-cpu.mjs [served|no-labels|background] [RUNS]');
  process.exit(2);
}

/** CPU time (ms) and process type of every running Chromium process, by pid. */
function chromiumCpu() {
  const ticks = 100; // USER_HZ on Linux
  const byPid = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline;
    let stat;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // the process ended meanwhile
    }
    // /usr/bin/chromium is a shell wrapper that execs /usr/lib/chromium/chromium.
    if (!cmdline.includes('/chromium/chromium')) continue;
    const type = cmdline.match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    byPid.set(pid, { type, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks });
  }
  return byPid;
}

/**
 * CPU used between two samples, by process type. Only processes alive at the second sample
 * count (a process that ended meanwhile, such as the previous context's renderer, belongs to
 * an earlier load); one started meanwhile counts from zero.
 */
function cpuBetween(before, after) {
  const per = {};
  for (const [pid, { type, ms }] of after) per[type] = (per[type] ?? 0) + ms - (before.get(pid)?.ms ?? 0);
  return Object.fromEntries(Object.entries(per).map(([type, ms]) => [type, Math.round(ms)]));
}

const server = await startServer();
const browser = await launch();
try {
  // One load first, so that the server's first tile and glyph renders are not counted.
  const warm = await appPage(browser);
  await warm.page.goto(`${server.base}${page}`);
  await mapIdle(warm.page);
  await warm.context.close();

  for (let run = 1; run <= runs; run += 1) {
    const { context, page: tab } = await appPage(browser);
    if (variant !== 'served') {
      await tab.route('**/style.json', async (route) => {
        const response = await route.fetch();
        const style = await response.json();
        style.layers = style.layers.filter(keep);
        return route.fulfill({ response, json: style });
      });
    }
    // Count MapLibre's frames from the moment the app creates its map.
    await tab.addInitScript(() => {
      let map;
      Object.defineProperty(window, '__map', {
        configurable: true,
        get: () => map,
        set: (value) => {
          map = value;
          window.__frames = [];
          map.on('render', () => window.__frames.push(Math.round(performance.now())));
          map.once('load', () => { window.__loadMs = Math.round(performance.now()); });
        },
      });
    });
    for (let visit = 1; visit <= visits; visit += 1) {
      const before = chromiumCpu();
      await tab.goto(`${server.base}${page}`);
      const idle = await mapIdle(tab);
      const after = chromiumCpu();
      const { load, frames } = await tab.evaluate(() => ({ load: window.__loadMs, frames: window.__frames }));
      const cpu = cpuBetween(before, after);
      const total = Object.values(cpu).reduce((a, b) => a + b, 0);
      console.log(`${variant} run ${run}${visits > 1 ? ` visit ${visit}` : ''}: idle ${Math.round(idle)} ms, `
        + `load ${load} ms, ${frames.length} frames, Chromium CPU ${total} ms ${JSON.stringify(cpu)}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}
