// The web app served by the real binary: every page renders with no console
// errors and nothing from outside 127.0.0.1; the resident finds their grid
// by search, by tapping the map, by location and through /b/{building};
// the language switch; a phone-sized touch run. Screenshots go to
// tests/artifacts/app-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { appPage, artifacts, launch, mapIdle, settled, startServer } from './harness.mjs';

// First map render budget. The target is 2 s on the sample (BENCHMARKS.md measures it with
// GRIDMAP_FIRST_RENDER_MS=2000); by default only a gross regression fails, because the debug
// binary on a loaded 2-core machine is several times slower.
const RENDER_BUDGET_MS = Number(process.env.GRIDMAP_FIRST_RENDER_MS ?? 10_000);
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
// A building of the sample with a unique name, and an address that exists in it.
const BUILDING_NAME = '金贸大厦';
const ADDRESS = '中山南路122号';

let server;
let browser;
const renders = {};
const api = async (p) => {
  const r = await fetch(`${server.base}${p}`);
  assert.equal(r.status, 200, `GET ${p}`);
  return r.json();
};
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `app-${name}.png`) });

/** The building the tests search for, and what the API says about its place. */
async function target() {
  const { results } = await api(`/api/buildings/search?q=${encodeURIComponent(BUILDING_NAME)}`);
  const b = results.find((r) => r.name === BUILDING_NAME);
  assert.ok(b, `${BUILDING_NAME} is in the sample`);
  const lookup = await api(`/api/lookup?lon=${b.lon}&lat=${b.lat}`);
  return { b, lookup };
}

function assertNoHouseholds(html, where) {
  assert.ok(!/households|户数/i.test(html), `${where}: no household figures or words in the page`);
}

async function cardText(page) {
  await page.waitForSelector('#card:not([hidden]) #card-grid', { timeout: 15_000 });
  return page.locator('#card').innerText();
}

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(path.join(artifacts, 'first-render.json'), `${JSON.stringify({ bin: process.env.GRIDMAP_BIN ?? 'target/debug/gridmap', ms: renders }, null, 2)}\n`);
});

for (const [name, route, hasMap] of [
  ['home', '/', false],
  ['find', '/find', true],
  ['plan', '/plan', true],
  ['coverage', '/coverage', true],
]) {
  test(`${route} renders without errors`, async () => {
    const { context, page, problems } = await appPage(browser);
    try {
      const response = await page.goto(`${server.base}${route}`);
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-type'], /text\/html/);
      await page.waitForSelector('header.topbar nav a');
      if (hasMap) {
        const ms = await mapIdle(page);
        console.log(`${route}: first map render ${Math.round(ms)} ms after navigation`);
        renders[route] = Math.round(ms);
        assert.ok(ms < RENDER_BUDGET_MS, `first map render on ${route} took ${ms} ms (budget ${RENDER_BUDGET_MS} ms)`);
        const drawn = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['grids-fill'] }).length);
        assert.ok(drawn > 0, 'grids drawn');
      } else {
        await page.waitForFunction(() => document.getElementById('counts')?.textContent.length > 0);
      }
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      assert.equal(await page.locator('#lang-switch').innerText(), 'English');
      assertNoHouseholds(await page.content(), route);
      await shot(page, name);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

// A planner or an official opens the map every day: their browser has the app's scripts in its
// HTTP cache and, from the third load on, V8's compiled code for them. The fresh contexts above
// measure a first-ever visit; this measures the third load of /find in one context.
test('/find renders on a repeat visit (HTTP and code cache warm)', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    let ms;
    for (let visit = 1; visit <= 3; visit += 1) {
      await page.goto(`${server.base}/find`);
      ms = await mapIdle(page);
    }
    console.log(`/find, third visit in one context: first map render ${Math.round(ms)} ms after navigation`);
    renders['/find (third visit)'] = Math.round(ms);
    assert.ok(ms < RENDER_BUDGET_MS, `first map render on a repeat visit took ${ms} ms (budget ${RENDER_BUDGET_MS} ms)`);
    const drawn = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['grids-fill'] }).length);
    assert.ok(drawn > 0, 'grids drawn');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('landing page links the three user pages and shows localised counts', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/`);
    const hrefs = await page.locator('a.choice').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(hrefs, ['/find', '/plan', '/coverage']);
    const health = await api('/health');
    await page.waitForFunction(() => document.getElementById('counts')?.textContent.length > 0);
    const counts = await page.locator('#counts').innerText();
    assert.ok(counts.includes(new Intl.NumberFormat('zh-CN').format(health.counts.buildings)), counts);
    assert.ok(counts.includes('栋楼'), counts);
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    const en = await page.locator('#counts').innerText();
    assert.ok(en.includes(`${new Intl.NumberFormat('en').format(health.counts.buildings)} buildings`), en);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a resident searches a building and sees the worker card with a tel: link', async () => {
  const { b, lookup } = await target();
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/find`);
    await mapIdle(page);
    await page.fill('#search', BUILDING_NAME);
    const result = page.locator(`#results button.result[data-id="${b.id}"]`);
    await result.waitFor();
    assert.match(await result.innerText(), new RegExp(BUILDING_NAME));
    await result.click();
    const text = await cardText(page);
    assert.equal(await page.locator('#card-title').innerText(), BUILDING_NAME);
    assert.ok(text.includes(lookup.grid.code), `grid code ${lookup.grid.code} in card`);
    assert.ok(text.includes(lookup.grid.name), 'grid name in card');
    assert.ok(text.includes(lookup.community.name), 'community in card');
    const worker = lookup.contacts.find((c) => c.role === 'grid_worker');
    const leader = lookup.contacts.find((c) => c.role === 'grid_leader');
    for (const [person, role] of [[worker, '网格员'], [leader, '网格长']]) {
      const li = page.locator('#card-contacts li', { hasText: person.name });
      assert.match(await li.innerText(), new RegExp(role));
      const href = await li.locator('a.call').getAttribute('href');
      assert.equal(href, `tel:${person.phone.replace(/[^\d+]/g, '')}`);
    }
    // The station reached on foot fastest, with walking minutes and metres
    // along the streets (the coverage engine), not a straight line.
    assert.ok(lookup.walking, 'the lookup carries the network walk');
    assert.ok(text.includes(lookup.walking.station.name), 'nearest station on foot in card');
    const walk = await page.locator('#card-walk').innerText();
    const m = walk.match(/^步行约 (\d+) 分钟（([\d,.]+) (米|公里)）$/);
    assert.ok(m, `walking text: ${walk}`);
    assert.ok(Math.abs(Number(m[1]) - lookup.walking.minutes) <= 1, `${walk} vs ${lookup.walking.minutes} min`);
    const metres = Number(m[2].replace(/,/g, '')) * (m[3] === '公里' ? 1000 : 1);
    assert.ok(Math.abs(metres - lookup.walking.metres) <= 51, `${walk} vs ${lookup.walking.metres} m`);
    assert.equal(await page.locator('#sample-note').isVisible(), lookup.contacts.some((c) => c.sample));
    assert.equal(new URL(page.url()).pathname, `/b/${b.id}`, 'the address bar is the building link');
    await settled(page);
    const highlighted = await page.evaluate(() => ({
      building: window.__map.queryRenderedFeatures({ layers: ['sel-building'] }).map((f) => f.id),
      grid: window.__map.queryRenderedFeatures({ layers: ['sel-grid'] }).map((f) => f.id),
    }));
    assert.ok(highlighted.building.includes(b.id), `building ${b.id} highlighted: ${JSON.stringify(highlighted)}`);
    assert.ok(highlighted.grid.includes(lookup.grid.id), 'grid outlined');
    assertNoHouseholds(await page.content(), 'search card');
    await shot(page, 'find-search-card');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('an address search finds the building at that address; Enter picks the first result', async () => {
  const { results } = await api(`/api/buildings/search?q=${encodeURIComponent(ADDRESS)}`);
  assert.ok(results.length > 0, `${ADDRESS} is in the sample`);
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/find`);
    await page.fill('#search', ADDRESS);
    await page.locator('#results button.result').first().waitFor();
    await page.press('#search', 'Enter');
    await cardText(page);
    const expected = results[0].name ?? results[0].address;
    assert.equal(await page.locator('#card-title').innerText(), expected);
    // Nothing found: a message, no card change.
    await page.fill('#search', '不存在的楼栋名称');
    await page.waitForFunction(() => document.getElementById('message').textContent.includes('没有找到'));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('tapping the map shows the card of the grid there', async () => {
  const { b, lookup } = await target();
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/find`);
    await mapIdle(page);
    await page.evaluate(([lon, lat]) => window.__map.jumpTo({ center: [lon, lat], zoom: 17 }), [b.lon, b.lat]);
    await settled(page);
    const at = await page.evaluate(([lon, lat]) => {
      const p = window.__map.project([lon, lat]);
      const r = window.__map.getContainer().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, [b.lon, b.lat]);
    await page.mouse.click(at.x, at.y);
    const text = await cardText(page);
    assert.ok(text.includes(lookup.grid.code), 'grid code of the tapped place');
    await page.waitForFunction((id) => window.__find.state?.building?.id === id, b.id);
    assert.ok(text.includes(lookup.contacts[0].phone));
    await shot(page, 'find-tap-card');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('/b/{building} opens the card of that building directly', async () => {
  const { b, lookup } = await target();
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/b/${b.id}`);
    const text = await cardText(page);
    assert.equal(await page.locator('#card-title').innerText(), BUILDING_NAME);
    assert.ok(text.includes(lookup.grid.code));
    assert.equal(await page.locator('nav a.active').getAttribute('href'), '/find');
    await mapIdle(page);
    await settled(page);
    assertNoHouseholds(await page.content(), '/b/{id}');
    await shot(page, 'building');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('/b/{unknown} says there is no such building', async () => {
  const { context, page } = await appPage(browser);
  try {
    await page.goto(`${server.base}/b/987654321`);
    await page.waitForSelector('#card .error');
    assert.match(await page.locator('#card .error').innerText(), /987654321/);
    const bad = await fetch(`${server.base}/b/not-a-number`);
    assert.equal(bad.status, 404);
  } finally {
    await context.close();
  }
});

test('the language switch changes every label and number format, and persists', async () => {
  const { b, lookup } = await target();
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/b/${b.id}`);
    await cardText(page);
    assert.equal(await page.locator('nav a[href="/find"]').innerText(), '找网格');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.locator('nav a[href="/find"]').innerText(), 'Find my grid');
    assert.equal(await page.locator('#lang-switch').innerText(), '中文');
    assert.equal(await page.getAttribute('#search', 'placeholder'), 'Building or address');
    const text = await page.locator('#card').innerText();
    for (const label of ['Your grid', 'Grid code', 'Contacts', 'Grid worker', 'Grid leader', 'Call', 'Nearest service station', 'Sample data']) {
      assert.ok(text.includes(label), `English card shows "${label}"`);
    }
    for (const label of ['所在网格', '网格编码', '联系人', '网格员', '拨打', '最近的服务站', '示例数据：']) {
      assert.ok(!text.replace(lookup.grid.name, '').includes(label), `no Chinese label "${label}" left`);
    }
    assert.match(await page.locator('#card-walk').innerText(), /^About \d+ min walk \([\d,.]+ k?m\)$/);
    assert.equal(await page.title(), 'Find my grid · gridmap');
    await shot(page, 'building-en');
    await page.reload();
    await cardText(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'the choice persists');
    assert.equal(await page.locator('#card-grid h3').innerText(), 'Your grid');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    assert.equal(await page.locator('#card-grid h3').innerText(), '所在网格');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('device location: granted gives the card, denied says so', async () => {
  const { b, lookup } = await target();
  const granted = await appPage(browser, {
    permissions: ['geolocation'], geolocation: { longitude: b.lon, latitude: b.lat },
  });
  try {
    await granted.page.goto(`${server.base}/find`);
    await granted.page.click('#locate');
    const text = await cardText(granted.page);
    assert.ok(text.includes(lookup.grid.code));
    assert.deepEqual(granted.problems, []);
  } finally {
    await granted.context.close();
  }
  const denied = await appPage(browser);
  try {
    await denied.page.goto(`${server.base}/find`);
    await denied.context.clearPermissions();
    await denied.page.click('#locate');
    await denied.page.waitForFunction(() => /定位/.test(document.getElementById('message').textContent)
      && !/正在定位/.test(document.getElementById('message').textContent), null, { timeout: 20_000 });
    assert.ok(await denied.page.locator('#card').isHidden(), 'no card without a location');
    assert.deepEqual(denied.problems, []);
  } finally {
    await denied.context.close();
  }
});

test('on a phone (390×844, touch) the card is a bottom sheet and a tap on the map works', async () => {
  const { b, lookup } = await target();
  const { context, page, problems } = await appPage(browser, PHONE);
  try {
    await page.goto(`${server.base}/find`);
    const ms = await mapIdle(page);
    console.log(`/find on a phone: first map render ${Math.round(ms)} ms after navigation`);
    renders['/find (phone)'] = Math.round(ms);
    assert.ok(ms < RENDER_BUDGET_MS, `first map render on a phone took ${ms} ms`);
    await shot(page, 'phone-find');
    await page.fill('#search', BUILDING_NAME);
    await page.locator(`#results button.result[data-id="${b.id}"]`).tap();
    await cardText(page);
    const box = await page.locator('#card').boundingBox();
    assert.ok(Math.abs(box.width - 390) < 1, `sheet spans the width (${box.width})`);
    assert.ok(Math.abs(box.y + box.height - 844) < 1, 'sheet sits on the bottom edge');
    assert.ok(box.height <= 844 * 0.56 + 1, 'sheet leaves the upper map visible');
    const call = page.locator('#card-contacts a.call').first();
    const callBox = await call.boundingBox();
    assert.ok(callBox.height >= 44, 'call buttons are thumb-sized');
    await settled(page);
    await shot(page, 'phone-card');
    // Close, then tap the building on the map.
    await page.locator('#card-close').tap();
    assert.ok(await page.locator('#card').isHidden());
    await page.evaluate(([lon, lat]) => window.__map.jumpTo({ center: [lon, lat], zoom: 17 }), [b.lon, b.lat]);
    await settled(page);
    const at = await page.evaluate(([lon, lat]) => {
      const p = window.__map.project([lon, lat]);
      const r = window.__map.getContainer().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, [b.lon, b.lat]);
    await page.touchscreen.tap(at.x, at.y);
    const text = await cardText(page);
    assert.ok(text.includes(lookup.grid.code));
    await settled(page);
    await shot(page, 'phone-tap');
    for (const route of ['/', '/plan', '/coverage']) {
      await page.goto(`${server.base}${route}`);
      if (route !== '/') await mapIdle(page);
      await shot(page, `phone-${route.slice(1) || 'home'}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('app files are embedded, cached for good, and nothing else is served under /app', async () => {
  const html = await (await fetch(`${server.base}/find`)).text();
  const main = html.match(/src="(\/app\/[0-9a-f]+\/main\.js)"/);
  assert.ok(main, 'shell references the hashed main.js');
  const r = await fetch(`${server.base}${main[1]}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control'), /immutable/);
  assert.match(r.headers.get('content-type'), /javascript/);
  const build = main[1].split('/')[2];
  for (const p of [`/app/${build}/../../Cargo.toml`, `/app/${build}/nope.js`, '/app/0000/main.js', `/app/${build}/%2e%2e/Cargo.toml`]) {
    assert.equal((await fetch(`${server.base}${p}`)).status, 404, p);
  }
});
