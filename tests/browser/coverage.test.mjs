// The official's coverage page (/coverage) against the real binary: a
// signed-out visitor sees only the sign-in panel (no figures, no analytics
// requests); an official signs in and sees the same figures as
// /api/coverage, by tier too; tables sort; minutes and tier re-query;
// siting draws the API's sites; CSV matches the tables; English; the
// coverage_pending wait; a planner is told why there is nothing for them.
// Screenshots go to tests/artifacts/coverage-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appPage, artifacts, launch, mapIdle, settled, startServer } from './harness.mjs';

const bin = process.env.GRIDMAP_BIN ?? path.join(import.meta.dirname, '..', '..', 'target', 'debug', 'gridmap');
const PASSWORD = 'coverage-page-test-pw';

let server;
let browser;
let token;

function cli(args, input) {
  const r = spawnSync(bin, ['--db', `sqlite://${server.dir}/gridmap.db`, ...args], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `gridmap ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function api(p, init = {}) {
  const r = await fetch(`${server.base}${p}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  assert.equal(r.status, 200, `${init.method ?? 'GET'} ${p}`);
  return r.json();
}

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `coverage-${name}.png`) });
const pctText = (locale, p) => (p === null ? '—' : `${new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p)}%`);
const share = (part, whole) => (whole > 0 ? (part * 100) / whole : null);

/** The page's problems, less the ones a test expects (`allow`). */
function realProblems(problems, { allow = [] } = {}) {
  return problems.filter((p) => !allow.some((re) => re.test(p)));
}

async function signIn(page, user = 'official1') {
  await page.goto(`${server.base}/coverage`);
  await page.waitForSelector('#cov-login #login-user');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', PASSWORD);
  await page.click('#cov-login button[type=submit]');
}

async function ready(page, minutes = 15, tier = null) {
  await page.waitForFunction(([m, tr]) => {
    const c = window.__coverage;
    return c?.state === 'ready' && c.data?.rollup.minutes === m
      && JSON.stringify(c.data.rollup.tiers ?? null) === JSON.stringify(tr);
  }, [minutes, tier], { timeout: 60_000 });
}

async function headline(page) {
  return page.locator('#cov-headline .figure').evaluateAll((els) => els.map((e) => ({
    minutes: Number(e.dataset.minutes),
    value: e.dataset.value === '' ? null : Number(e.dataset.value),
    text: e.querySelector('.figure-value').textContent,
    sub: e.querySelector('.figure-sub').textContent,
  })));
}

function assertHeadline(figs, rollup, locale) {
  const o = rollup.overall;
  assert.deepEqual(figs.map((f) => f.minutes), rollup.bands.map((b) => b.minutes));
  rollup.bands.forEach((b, i) => {
    const p = share(o.within_households[i], o.households);
    assert.ok(Math.abs(figs[i].value - p) < 1e-9, `band ${b.minutes}: ${figs[i].value} vs ${p}`);
    assert.equal(figs[i].text, pctText(locale, p));
    assert.ok(figs[i].sub.includes(new Intl.NumberFormat(locale).format(o.within_households[i])), figs[i].sub);
  });
}

/** Rows of a table as {id, cells: {key: data-value}}. */
async function tableRows(page, id) {
  return page.locator(`#${id} tbody tr`).evaluateAll((trs) => trs.map((tr) => ({
    id: Number(tr.dataset.id),
    cells: Object.fromEntries([...tr.cells].map((td) => [td.dataset.key, td.dataset.value])),
    texts: [...tr.cells].map((td) => td.textContent),
  })));
}

function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

before(async () => {
  server = await startServer(['--rate-limit-api', '0']);
  cli(['user', 'add', 'official1', '--role', 'official', '--communities', 'all', '--password-stdin'], `${PASSWORD}\n`);
  cli(['user', 'add', 'planner1', '--role', 'planner', '--communities', 'all', '--password-stdin'], `${PASSWORD}\n`);
  token = cli(['token', 'create', '--user', 'official1', '--label', 'browser-test']);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('signed out: the sign-in panel only, no figures and no analytics requests', async () => {
  const { context, page, problems } = await appPage(browser);
  const asked = [];
  page.on('request', (r) => { if (/\/api\/(coverage|grids)/.test(r.url())) asked.push(r.url()); });
  try {
    await page.goto(`${server.base}/coverage`);
    await mapIdle(page);
    await page.waitForSelector('#cov-login #login-user');
    assert.equal(await page.locator('#cov-panel').count(), 0);
    assert.equal(await page.locator('#cov-legend').count(), 0);
    const html = await page.content();
    assert.ok(!/households|户数|\d%/.test(html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '')), 'no household figures before sign-in');
    assert.match(await page.locator('#cov-login').innerText(), /服务覆盖分析需要管理人员账号登录/);
    assert.deepEqual(asked, []);
    await shot(page, 'signin');
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('an official signs in and sees the figures of /api/coverage, overall and by tier, on the map too', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page);
    await ready(page);
    const rollup = await api('/api/coverage?minutes=15');
    assertHeadline(await headline(page), rollup, 'zh-CN');
    const o = rollup.overall;
    const summary = await page.locator('#cov-uncovered-summary').innerText();
    assert.ok(summary.includes(new Intl.NumberFormat('zh-CN').format(o.beyond_households + o.unreachable_households)), summary);

    // The tier table: every row is that tier's /api/coverage.
    for (const tier of ['all', 'centre', 'station', 'point']) {
      const r = await api(`/api/coverage?minutes=15${tier === 'all' ? '' : `&tier=${tier}`}`);
      const cells = await page.locator(`#cov-tiers tr[data-tier="${tier}"] td`).allInnerTexts();
      assert.deepEqual(cells, r.bands.map((_, i) => pctText('zh-CN', share(r.overall.within_households[i], r.overall.households))), tier);
    }

    // Compliance: the counts of /api/grids/compliance.
    const comp = await api('/api/grids/compliance');
    for (const k of ['under', 'ok', 'over', 'exempt']) {
      assert.equal(await page.locator(`#cov-compliance li[data-status="${k}"] strong`).innerText(), String(comp.totals[k]), k);
    }

    // The map: coverage layers shown, each building's state is the API's minutes.
    await settled(page);
    const onMap = await page.evaluate(() => {
      const m = window.__map;
      const l = m.getLayer('coverage-buildings');
      const drawn = m.queryRenderedFeatures({ layers: ['coverage-buildings', 'coverage-buildings-points'] });
      const b = window.__coverage.data.buildings.find((x) => x.minutes !== null && x.status !== 'unreachable');
      return {
        visible: m.getLayoutProperty('coverage-buildings', 'visibility'),
        drawn: drawn.length,
        id: b.id,
        state: m.getFeatureState({ source: l.source, sourceLayer: l.sourceLayer, id: b.id }),
      };
    });
    assert.equal(onMap.visible, 'visible');
    assert.ok(onMap.drawn > 50, `coverage drawn: ${onMap.drawn}`);
    const page1 = await api('/api/coverage/buildings?minutes=15&limit=10000');
    assert.equal(onMap.state.min, page1.buildings.find((b) => b.id === onMap.id).minutes);
    const hist = await page.locator('#cov-histogram rect.bin').count();
    assert.ok(hist > 5, `histogram bars: ${hist}`);
    assert.equal(await page.locator('#cov-bars .bar-row').count(), rollup.communities.length);
    await shot(page, 'zh');
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('table columns sort both ways (aria-sort), a row click zooms the map to it', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page);
    await ready(page);
    await page.click('#cov-tab-grids');
    const th = page.locator('#cov-grids th[data-key="households"]');
    await th.locator('button').click();
    assert.equal(await th.getAttribute('aria-sort'), 'descending');
    let rows = await tableRows(page, 'cov-grids');
    const desc = rows.map((r) => Number(r.cells.households));
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a));
    await th.locator('button').click();
    assert.equal(await th.getAttribute('aria-sort'), 'ascending');
    rows = await tableRows(page, 'cov-grids');
    const asc = rows.map((r) => Number(r.cells.households));
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
    assert.notDeepEqual(asc, desc);
    assert.equal(await page.locator('#cov-grids th[data-key="name"]').getAttribute('aria-sort'), 'none');

    // Covered share: grids without households sort last both ways.
    const band = page.locator('#cov-grids th[data-key="band2"] button');
    await band.click();
    rows = await tableRows(page, 'cov-grids');
    const shares = rows.map((r) => r.cells.band2);
    const firstEmpty = shares.indexOf('');
    assert.ok(firstEmpty > 0 && shares.slice(firstEmpty).every((s) => s === ''), 'nulls last');
    const known = shares.slice(0, firstEmpty).map(Number);
    assert.deepEqual(known, [...known].sort((a, b) => b - a));

    // A row click outlines the grid and zooms the map onto it.
    const comp = await api('/api/grids/compliance');
    const target = comp.grids.find((g) => g.households > 0);
    await page.click(`#cov-grids tbody tr[data-id="${target.id}"]`);
    await settled(page);
    const view = await page.evaluate(() => ({ b: window.__map.getBounds().toArray(), f: window.__map.getFilter('cov-sel-grid') }));
    const [cx, cy] = [(target.bbox[0] + target.bbox[2]) / 2, (target.bbox[1] + target.bbox[3]) / 2];
    assert.ok(view.b[0][0] < cx && cx < view.b[1][0] && view.b[0][1] < cy && cy < view.b[1][1], 'grid centre in view');
    assert.deepEqual(view.f, ['==', ['id'], target.id]);
    assert.equal(await page.locator(`#cov-grids tbody tr[data-id="${target.id}"]`).getAttribute('class'), 'selected');
    await shot(page, 'grids');
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('switching minutes and tier re-queries and changes the figures', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page);
    await ready(page);
    const before15 = await headline(page);
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/api/coverage?')) asked.push(new URL(r.url()).search); });
    await page.click('#cov-minutes-10');
    await ready(page, 10);
    assert.ok(asked.some((s) => s.includes('minutes=10')), asked.join(' '));
    assert.equal(await page.locator('#cov-minutes-10').getAttribute('aria-checked'), 'true');
    const ten = await api('/api/coverage?minutes=10');
    const figs10 = await headline(page);
    assertHeadline(figs10, ten, 'zh-CN');
    assert.notDeepEqual(figs10.map((f) => f.value), before15.map((f) => f.value));

    await page.click('#cov-tier-centre');
    await ready(page, 10, ['centre']);
    const centre = await api('/api/coverage?minutes=10&tier=centre');
    const figsCentre = await headline(page);
    assertHeadline(figsCentre, centre, 'zh-CN');
    assert.ok(figsCentre[figsCentre.length - 1].value < figs10[figs10.length - 1].value, 'fewer stations cover fewer households');
    // Tables and map follow the query too.
    const rows = await tableRows(page, 'cov-communities');
    const c = centre.communities.find((x) => x.households > 0);
    const row = rows.find((r) => r.id === c.id);
    assert.equal(Number(row.cells.band1), Math.round(share(c.within_households[1], c.households) * 10) / 10);
    const dimmed = await page.evaluate(() => window.__map.getPaintProperty('stations', 'circle-opacity'));
    assert.deepEqual(dimmed, ['case', ['in', ['get', 'tier'], ['literal', ['centre']]], 1, 0.25]);
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('siting for k=2 draws two suggestions with the gains of the API', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page);
    await ready(page);
    await page.click('#cov-tab-siting');
    await page.fill('#cov-k', '2');
    await page.click('#cov-site');
    await page.waitForSelector('#cov-sites li', { timeout: 120_000 });
    const want = await api('/api/coverage/siting', { method: 'POST', body: JSON.stringify({ k: 2, minutes: 15 }) });
    assert.equal(want.sites.length, 2);
    const got = await page.locator('#cov-sites li').evaluateAll((lis) => lis.map((li) => ({ rank: Number(li.dataset.rank), gain: Number(li.dataset.gain), text: li.innerText })));
    assert.deepEqual(got.map((g) => g.rank), [1, 2]);
    assert.match(await page.locator('#cov-legend').innerText(), /建议新站点/);
    assert.deepEqual(got.map((g) => g.gain), want.sites.map((s) => s.gain_households));
    got.forEach((g, i) => assert.ok(g.text.includes(new Intl.NumberFormat('zh-CN').format(want.sites[i].gain_households)), g.text));
    await settled(page);
    const drawn = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['cov-sites'] })
      .map((f) => ({ rank: f.properties.rank, gain: f.properties.gain, at: f.geometry.coordinates })));
    assert.deepEqual(drawn.map((d) => d.rank).sort(), [1, 2]);
    for (const d of drawn) {
      const s = want.sites[d.rank - 1];
      assert.equal(d.gain, s.gain_households);
      assert.ok(Math.abs(d.at[0] - s.point[0]) < 1e-5 && Math.abs(d.at[1] - s.point[1]) < 1e-5);
    }
    const total = want.sites.reduce((a, s) => a + s.gain_households, 0);
    assert.ok((await page.locator('#cov-site-summary').innerText()).includes(new Intl.NumberFormat('zh-CN').format(total)));
    await shot(page, 'siting');
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('CSV export of the community and grid tables matches the tables (UTF-8 with BOM)', async () => {
  const { context, page, problems } = await appPage(browser, { acceptDownloads: true });
  try {
    await signIn(page);
    await ready(page);
    for (const which of ['communities', 'grids']) {
      await page.click(`#cov-tab-${which}`);
      await page.locator(`#cov-${which} th[data-key="name"] button`).click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#cov-export-${which}`)]);
      assert.match(download.suggestedFilename(), new RegExp(`^coverage-${which}-15min-all\\.csv$`));
      const bytes = readFileSync(await download.path());
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
      const csv = parseCsv(bytes.toString('utf8').slice(1));
      const head = await page.locator(`#cov-${which} thead th`).evaluateAll((ths) => ths.map((th) => th.querySelector('button').firstChild.textContent));
      assert.deepEqual(csv[0], head);
      const keys = await page.locator(`#cov-${which} thead th`).evaluateAll((ths) => ths.map((th) => th.dataset.key));
      const rows = await tableRows(page, `cov-${which}`);
      assert.equal(csv.length - 1, rows.length);
      rows.forEach((r, i) => {
        keys.forEach((k, j) => {
          if (k === 'rule' || k === 'breaks') {
            // Shown as a chip / "n / of": the CSV keeps the word / the count.
            assert.ok(r.texts[j].startsWith(csv[i + 1][j]), `${which} row ${i} ${k}: ${csv[i + 1][j]} vs ${r.texts[j]}`);
          } else {
            assert.equal(csv[i + 1][j], r.cells[k], `${which} row ${i} ${k}`);
          }
        });
      });
      assert.ok(csv.some((row) => /社区/.test(row[0])), 'Chinese names survive');
    }
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('the English switch relabels the page and reformats every number', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page);
    await ready(page);
    const rollup = await api('/api/coverage?minutes=15');
    assert.equal(await page.locator('#cov-title').innerText(), '服务站点步行覆盖');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.locator('#cov-title').innerText(), 'Walking coverage of service stations');
    assert.equal(await page.locator('#cov-tab-communities').innerText(), 'Communities');
    assert.equal(await page.locator('#cov-minutes-15').innerText(), '15 min');
    const figs = await headline(page);
    assertHeadline(figs, rollup, 'en');
    assert.ok(figs[0].sub.endsWith('households'), figs[0].sub);
    const labels = await page.locator('#cov-headline .figure-label').allInnerTexts();
    assert.deepEqual(labels, ['Within 5 min', 'Within 10 min', 'Within 15 min']);
    const legend = await page.locator('#cov-legend').innerText();
    assert.match(legend, /Beyond 15 min \(not covered\)/);
    assert.ok(!/[\u4e00-\u9fff]/.test(await page.locator('#cov-panel .cov-top').innerText()), 'no Chinese left in the controls');
    await page.click('#cov-tab-grids');
    const heads = await page.locator('#cov-grids thead th').allInnerTexts();
    assert.ok(heads.some((h) => h.startsWith('Households')), heads.join('|'));
    await page.click('#cov-tab-overview');
    await shot(page, 'en');
    assert.deepEqual(realProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('while coverage is being computed (503 coverage_pending) the page waits, says so and retries', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    let refused = 0;
    await page.route('**/api/coverage?*', (route) => {
      if (refused < 6) {
        refused += 1;
        return route.fulfill({
          status: 503, contentType: 'application/json',
          body: JSON.stringify({ code: 'coverage_pending', message: 'the walking coverage of the current data is being computed; retry shortly' }),
        });
      }
      return route.fallback();
    });
    await signIn(page);
    await page.waitForSelector('#cov-status.busy', { timeout: 30_000 });
    await page.waitForFunction(() => /正在计算/.test(document.getElementById('cov-status')?.textContent ?? ''));
    assert.equal(await page.locator('#cov-headline .figure').count(), 0);
    await ready(page);
    assert.ok(refused >= 6);
    assert.ok(await page.locator('#cov-status').isHidden());
    assertHeadline(await headline(page), await api('/api/coverage?minutes=15'), 'zh-CN');
    assert.deepEqual(realProblems(problems, { allow: [/^HTTP 503: .*\/api\/coverage\?/, /status of 503/] }), []);
  } finally {
    await context.close();
  }
});

test('a planner (no analytics) is told why, and sees no figures', async () => {
  const { context, page, problems } = await appPage(browser);
  try {
    await signIn(page, 'planner1');
    await page.waitForSelector('#cov-forbidden');
    const text = await page.locator('#cov-forbidden').innerText();
    assert.match(text, /planner1/);
    assert.match(text, /规划人员/);
    assert.equal(await page.locator('#cov-headline').count(), 0);
    assert.ok(!/\d%/.test(await page.locator('main').innerText()));
    await mapIdle(page);
    assert.equal(await page.evaluate(() => window.__map.getLayoutProperty('coverage-buildings', 'visibility')), 'none');
    assert.equal(await page.locator('#cov-legend').count(), 0);
    await shot(page, 'planner');
    assert.deepEqual(realProblems(problems, { allow: [/^HTTP 403: .*\/api\/(coverage|grids)/, /status of 403/] }), []);
  } finally {
    await context.close();
  }
});
