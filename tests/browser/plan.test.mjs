// The planner's page (/plan) against the real binary: a planner made with
// the CLI signs in, opens a draft, paints a building into another grid (both
// grids' household counts change in the list, as the API says), undoes and
// redoes with the keyboard, meets a stale edit made by someone else through
// the API (explained, refreshed, re-applied), reads the validation panel,
// splits, merges, locks, edits people, draws a boundary, runs the automatic
// partition, compares two plans, publishes a draft made before another
// publish (told what changed, merges it in, publishes anyway with a
// reason), and switches to English. Measures the repaint after a 100-building
// selection. Screenshots: tests/artifacts/plan-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { appPage, artifacts, launch, root, settled, startServer } from './harness.mjs';

const bin = process.env.GRIDMAP_BIN ?? path.join(root, 'target', 'debug', 'gridmap');
// Repaint target: 100 ms (BENCHMARKS.md, "Web map"). Only a gross regression fails here:
// the debug binary and a loaded 2-core machine are not what the figure is about.
const REPAINT_BUDGET_MS = Number(process.env.GRIDMAP_REPAINT_MS ?? 1000);
const USER = 'planner-browser';
const PASSWORD = 'planner browser password 42';

let server;
let browser;
let db;
let token;
let ctx; // {context, page, problems}
const expected = []; // responses the tests provoke on purpose (the stale edit's 409)

function cli(args, input) {
  return execFileSync(bin, ['--db', db, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

async function api(method, p, body) {
  const r = await fetch(`${server.base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await r.json();
  return { status: r.status, data };
}

const state = () => ctx.page.evaluate(() => {
  const S = window.__plan.state;
  return {
    plan: S.plan?.id, version: S.version, community: S.community?.id, active: S.active,
    selection: S.selection.size,
    grids: S.grids.map((g) => ({ key: g.key, households: g.households, buildings: g.buildings, locked: g.locked, name: g.name })),
  };
});

/** Wait until every write has landed and the view shows version > v. */
async function landed(page, after = -1) {
  await page.waitForFunction((v) => window.__plan.idle() && window.__plan.state.version > v, after, { timeout: 30_000 });
}

/** Households of a grid as the side list shows it. */
async function listHouseholds(page, key) {
  const text = await page.locator(`#plan-grids tr[data-key="${key}"] td.households`).innerText();
  return Number(text.replace(/\D/g, ''));
}

async function apiHouseholds(plan, key) {
  const { data } = await api('GET', `/api/plans/${plan}`);
  return data.grids.find((g) => g.key === key).households;
}

const shot = (name) => ctx.page.screenshot({ path: path.join(artifacts, `plan-${name}.png`) });

/** Screen position (page coordinates) of a lon/lat on the map. */
async function screenOf(page, lonlat) {
  return page.evaluate(([lon, lat]) => {
    const p = window.__map.project([lon, lat]);
    const r = window.__map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, lonlat);
}

before(async () => {
  server = await startServer();
  db = `sqlite://${server.dir}/gridmap.db`;
  cli(['user', 'add', '--role', 'planner', '--communities', 'all', '--password-stdin', USER], `${PASSWORD}\n`);
  token = cli(['token', 'create', '--user', USER, '--label', 'browser-test']).trim();
  browser = await launch();
  ctx = await appPage(browser);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('signing in opens the planner; a draft is created from the published grids', async () => {
  const { page } = ctx;
  // The community with the most buildings (probed with a draft each through the API).
  const { data: list } = await api('GET', '/api/communities');
  let biggest = null;
  for (const c of list.communities) {
    const { data: probe } = await api('POST', '/api/plans', { community_id: c.id, name: 'probe' });
    const { data: layers } = await api('GET', `/api/plans/${probe.plan.id}/layers`);
    const n = layers.buildings.features.length;
    if (!biggest || n > biggest.n) biggest = { id: c.id, n };
  }
  await page.goto(`${server.base}/plan`);
  await page.waitForSelector('#login-user');
  assert.match(await page.locator('.login').innerText(), /规划人员/);
  await page.fill('#login-user', USER);
  await page.fill('#login-pass', PASSWORD);
  await page.click('.login-form button[type=submit]');
  await page.waitForSelector('#plan-community option', { state: 'attached' });
  await page.waitForSelector('#plan-grids tr');
  await page.selectOption('#plan-community', String(biggest.id));
  await page.waitForFunction((id) => window.__plan.state.community?.id === id && window.__plan.state.plan?.status === 'draft', biggest.id);
  // A new draft through the form.
  await page.click('#plan-new');
  await page.fill('#plan-new-name', '浏览器测试方案');
  await page.click('#plan-new-create');
  await page.waitForFunction(() => window.__plan.state.plan?.name === '浏览器测试方案' && window.__plan.idle());
  const s = await state();
  const { data } = await api('GET', `/api/plans/${s.plan}`);
  assert.equal(data.plan.status, 'draft');
  assert.equal(data.plan.community_id, biggest.id);
  assert.equal(s.grids.length, data.grids.length);
  for (const g of data.grids) assert.equal(await listHouseholds(page, g.key), g.households, `grid ${g.code}`);
  await settled(page);
  await shot('zh');
});

test('painting a building into another grid changes both counts; Ctrl+Z and Ctrl+Shift+Z undo and redo it', async () => {
  const { page } = ctx;
  const s = await state();
  const { data: view } = await api('GET', `/api/plans/${s.plan}`);
  const { data: layers } = await api('GET', `/api/plans/${s.plan}/layers`);
  // A building with households in grid A, and a neighbouring grid B.
  const byKey = new Map(view.grids.map((g) => [g.key, g]));
  const b = layers.buildings.features.find((f) => f.properties.households > 0 && f.properties.grid !== null
    && byKey.get(f.properties.grid).buildings > 1);
  const from = b.properties.grid;
  const to = view.grids.find((g) => g.key !== from && !g.locked).key;
  const before = { from: await listHouseholds(page, from), to: await listHouseholds(page, to) };

  await page.click(`#plan-grids tr[data-key="${to}"]`);
  await page.click('#plan-tool-brush');
  await page.evaluate(([lon, lat]) => window.__map.jumpTo({ center: [lon, lat], zoom: 19 }), b.geometry.coordinates);
  await settled(page);
  const at = await screenOf(page, b.geometry.coordinates);
  const v0 = (await state()).version;
  await page.mouse.move(at.x, at.y);
  await page.mouse.down();
  await page.mouse.move(at.x + 2, at.y + 1, { steps: 2 });
  await page.mouse.up();
  await landed(page, v0);

  const painted = { from: await listHouseholds(page, from), to: await listHouseholds(page, to) };
  assert.ok(painted.from < before.from, `grid ${from}: ${before.from} → ${painted.from}`);
  assert.ok(painted.to > before.to, `grid ${to}: ${before.to} → ${painted.to}`);
  assert.equal(painted.from, await apiHouseholds(s.plan, from));
  assert.equal(painted.to, await apiHouseholds(s.plan, to));
  const { data: history } = await api('GET', `/api/plans/${s.plan}/history`);
  const last = history.history.at(-1);
  assert.equal(last.edit.kind, 'move');
  assert.equal(last.edit.to, to);
  assert.ok(last.edit.buildings.includes(b.id), `the painted building ${b.id} moved`);
  await shot('painted');

  // Undo with the keyboard (focus on the map, not in a field).
  await page.click('#plan-tool-select');
  const v1 = (await state()).version;
  await page.keyboard.press('Control+z');
  await landed(page, v1);
  assert.equal(await listHouseholds(page, from), before.from);
  assert.equal(await listHouseholds(page, to), before.to);
  assert.equal(await apiHouseholds(s.plan, from), before.from);

  const v2 = (await state()).version;
  await page.keyboard.press('Control+Shift+Z');
  await landed(page, v2);
  assert.equal(await listHouseholds(page, from), painted.from);
  assert.equal(await listHouseholds(page, to), painted.to);
  assert.equal(await apiHouseholds(s.plan, to), painted.to);
});

test('a stale edit is explained, the view refreshed, and the edit re-applied on request', async () => {
  const { page } = ctx;
  const s = await state();
  const { data: layers } = await api('GET', `/api/plans/${s.plan}/layers`);
  const target = s.grids.find((g) => !g.locked && g.key !== s.active);
  const b = layers.buildings.features.find((f) => f.properties.grid !== null && f.properties.grid !== target.key);
  // Someone else renames the target grid through the API: the page's version is now stale.
  const other = await api('POST', `/api/plans/${s.plan}/edits`, { version: s.version, edit: { kind: 'rename', grid: target.key, name: '他人改过的网格' } });
  assert.equal(other.status, 200);
  expected.push(`/api/plans/${s.plan}/edits`);

  await page.click(`#plan-grids tr[data-key="${target.key}"]`);
  await page.evaluate((id) => window.__plan.select([id]), b.id);
  await page.click('#plan-move');
  await page.waitForSelector('#plan-notice.stale');
  const text = await page.locator('#plan-notice').innerText();
  assert.match(text, /别人刚刚修改了这个方案/);
  assert.match(text, new RegExp(`版本 ${s.version}`));
  assert.match(text, /未保存的操作：把 1 栋楼移入/);
  // Refreshed from the server: the other planner's name is in the list.
  await page.waitForFunction((k) => document.querySelector(`#plan-grids tr[data-key="${k}"]`)?.textContent.includes('他人改过的网格'), target.key);
  assert.equal((await state()).version, other.data.version);
  await shot('stale');

  // Re-apply: the move lands on the newest version.
  await page.locator('#plan-notice button', { hasText: '在最新版本上重新执行' }).click();
  await landed(page, other.data.version);
  const { data: view } = await api('GET', `/api/plans/${s.plan}`);
  assert.equal(view.state.assignment[b.id], target.key);
  assert.equal(await listHouseholds(page, target.key), view.grids.find((g) => g.key === target.key).households);
  assert.ok(await page.locator('#plan-notice').isHidden());
});

test('the validation panel lists every break the API reports; clicking one activates its grid', async () => {
  const { page } = ctx;
  // An empty grid is a break for sure.
  const v = (await state()).version;
  await page.click('#plan-add-grid');
  await landed(page, v);
  const s = await state();
  const { data } = await api('GET', `/api/plans/${s.plan}/validate`);
  assert.ok(data.breaks.length >= 1);
  await page.click('#plan-tab-checks');
  await page.waitForFunction((n) => document.querySelectorAll('#plan-breaks li').length === n, data.breaks.length);
  const shown = await page.locator('#plan-breaks .break-message').allInnerTexts();
  assert.deepEqual(shown, data.breaks.map((b) => b.message_zh));
  const empty = data.breaks.findIndex((b) => b.kind === 'empty_grid');
  assert.ok(empty >= 0, 'the new grid is reported empty');
  await page.locator('#plan-breaks .break').nth(empty).click();
  assert.equal((await state()).active, data.breaks[empty].grids[0]);
  await shot('checks');
});

test('repainting after a 100-building selection, and a shift-drag box selection', async () => {
  const { page } = ctx;
  await page.click('#plan-tab-grids');
  await page.evaluate(() => window.__map.fitBounds(window.__plan.state.bbox, { duration: 0, padding: { left: 440, top: 20, right: 20, bottom: 20 } }));
  await settled(page);
  const ids = await page.evaluate(() => [...window.__plan.state.households.keys()].slice(0, 100));
  assert.equal(ids.length, 100, 'the community has at least 100 buildings');
  const runs = [];
  for (let i = 0; i < 9; i += 1) {
    await page.evaluate(() => window.__plan.select([]));
    await page.waitForFunction(() => window.__planPerf.idleMs !== null);
    await settled(page);
    await page.evaluate((list) => window.__plan.select(list), ids);
    await page.waitForFunction(() => window.__planPerf.selected === 100 && window.__planPerf.idleMs !== null);
    runs.push(await page.evaluate(() => ({ render: window.__planPerf.renderMs, idle: window.__planPerf.idleMs })));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const figure = { buildings: 100, render_ms: median(runs.map((r) => r.render)), idle_ms: median(runs.map((r) => r.idle)), runs };
  console.log(`repaint after a 100-building selection: next frame ${figure.render_ms.toFixed(1)} ms, idle ${figure.idle_ms.toFixed(1)} ms (median of ${runs.length}; target < 100 ms)`);
  writeFileSync(path.join(artifacts, 'plan-repaint.json'), `${JSON.stringify(figure, null, 2)}\n`);
  assert.ok(figure.idle_ms < REPAINT_BUDGET_MS, `${figure.idle_ms} ms`);
  assert.match(await page.locator('#plan-selinfo').innerText(), /已选 100 栋楼/);

  // A real box: shift-drag over the whole map selects buildings (as many as the list says).
  await page.evaluate(() => window.__plan.select([]));
  const box = await page.locator('#map').boundingBox();
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + 450, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 10, box.y + box.height - 10, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const n = (await state()).selection;
  assert.ok(n > 0, 'the box selected buildings');
  assert.match(await page.locator('#plan-selinfo').innerText(), new RegExp(`已选 ${n.toLocaleString('zh-CN')} 栋楼`));
  await shot('selected');
  await page.keyboard.press('Escape');
  assert.equal((await state()).selection, 0);
});

test('split along a drawn line, merge the halves, lock, and edit the grid\'s people', async () => {
  const { page } = ctx;
  await page.click('#plan-tab-grids');
  await page.click('#plan-tool-select');
  const s0 = await state();
  // The grid with the most buildings, split along a line across the middle of its buildings.
  const big = [...s0.grids].filter((g) => !g.locked).sort((a, b) => b.buildings - a.buildings)[0];
  await page.click(`#plan-grids tr[data-key="${big.key}"]`);
  const pts = await page.evaluate((k) => [...window.__plan.state.assign].filter(([, g]) => g === k)
    .map(([id]) => window.__plan.state.points.get(id)), big.key);
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]).sort((a, b) => a - b);
  const [w, e] = [Math.min(...lons), Math.max(...lons)];
  const mid = (lats[Math.floor(lats.length / 2) - 1] + lats[Math.floor(lats.length / 2)]) / 2;
  await page.evaluate(([bw, bs, be, bn]) => window.__map.fitBounds([[bw, bs], [be, bn]], { duration: 0, padding: { left: 460, top: 60, right: 60, bottom: 60 } }),
    [w, lats[0], e, lats.at(-1)]);
  await settled(page);
  await page.click('#plan-tool-line');
  const a = await screenOf(page, [w - (e - w) * 0.2, mid]);
  const b = await screenOf(page, [e + (e - w) * 0.2, mid]);
  await page.mouse.click(a.x, a.y);
  await page.mouse.click(b.x, b.y);
  await page.click('#plan-finish');
  await landed(page, s0.version);
  const s1 = await state();
  assert.equal(s1.grids.length, s0.grids.length + 1, 'one grid more after the split');
  const { data: h1 } = await api('GET', `/api/plans/${s1.plan}/history`);
  assert.equal(h1.history.at(-1).edit.kind, 'split');
  const half = s1.active;
  assert.notEqual(half, big.key, 'the new half is the active grid');
  await shot('split');

  // Merge the halves back: tick both, merge.
  await page.click('#plan-tool-select');
  await page.check(`#plan-grids tr[data-key="${big.key}"] input[type=checkbox]`);
  await page.check(`#plan-grids tr[data-key="${half}"] input[type=checkbox]`);
  await page.click('#plan-merge');
  await landed(page, s1.version);
  const s2 = await state();
  assert.equal(s2.grids.length, s0.grids.length);
  assert.equal(s2.grids.find((g) => g.key === big.key)?.buildings ?? s2.grids.find((g) => g.key === half)?.buildings, big.buildings);

  // Lock the grid: the API says locked; unlock again.
  const key = s2.active;
  await page.click('#plan-grid-lock');
  await landed(page, s2.version);
  let { data: view } = await api('GET', `/api/plans/${s2.plan}`);
  assert.equal(view.grids.find((g) => g.key === key).locked, true);
  const s3 = await state();
  await page.click('#plan-grid-lock');
  await landed(page, s3.version);

  // People: add one and save.
  const s4 = await state();
  await page.click('#plan-people-add');
  const row = page.locator('#plan-people .person').last();
  await row.locator('input').first().fill('测试网格员');
  await row.locator('input[type=tel]').fill('025-1234-5678');
  await page.click('#plan-people-save');
  await landed(page, s4.version);
  ({ data: view } = await api('GET', `/api/plans/${s4.plan}`));
  const people = view.state.grids.find((g) => g.key === key).people;
  assert.ok(people.some((p) => p.name === '测试网格员' && p.phone === '025-1234-5678' && p.role === 'grid_worker'), JSON.stringify(people));
});

test('a drawn boundary (Enter finishes) moves the buildings inside it to the active grid', async () => {
  const { page } = ctx;
  await page.click('#plan-tool-select');
  const s = await state();
  const target = s.grids.find((g) => !g.locked && g.buildings > 0);
  await page.click(`#plan-grids tr[data-key="${target.key}"]`);
  const { data: layers } = await api('GET', `/api/plans/${s.plan}/layers`);
  const b = layers.buildings.features.find((f) => f.properties.grid !== null && f.properties.grid !== target.key
    && !s.grids.find((g) => g.key === f.properties.grid)?.locked);
  const [lon, lat] = b.geometry.coordinates;
  await page.evaluate(([x, y]) => window.__map.jumpTo({ center: [x, y], zoom: 19 }), [lon, lat]);
  await settled(page);
  await page.click('#plan-tool-polygon');
  const c = await screenOf(page, [lon, lat]);
  for (const [dx, dy] of [[-12, -12], [12, -12], [12, 12], [-12, 12]]) await page.mouse.click(c.x + dx, c.y + dy);
  await page.keyboard.press('Enter');
  await landed(page, s.version);
  const { data: history } = await api('GET', `/api/plans/${s.plan}/history`);
  assert.equal(history.history.at(-1).edit.kind, 'draw');
  const { data: view } = await api('GET', `/api/plans/${s.plan}`);
  assert.equal(view.state.assignment[b.id], target.key, `building ${b.id} joined grid ${target.key}`);
  await page.click('#plan-tool-select');
});

test('automatic partition shows its report, or says in Chinese why the rules cannot be met', async () => {
  const { page } = ctx;
  await page.click('#plan-tab-auto');
  const v = (await state()).version;
  await page.click('#plan-auto-run');
  await page.waitForSelector('#plan-report dl, #plan-notice.error', { timeout: 60_000 });
  if (await page.locator('#plan-report dl').count()) {
    await landed(page, v);
    const s = await state();
    const { data: history } = await api('GET', `/api/plans/${s.plan}/history`);
    assert.equal(history.history.at(-1).edit.kind, 'partition');
    assert.match(await page.locator('#plan-report').innerText(), new RegExp(`${s.grids.length} 个`));
  } else {
    expected.push(`/api/plans/${(await state()).plan}/partition`);
    const text = await page.locator('#plan-notice').innerText();
    assert.match(text, /无法按规则划分/);
    assert.ok((await state()).selection > 0, 'the offending buildings are selected');
    assert.equal((await state()).version, v, 'nothing changed');
    // The planner may still draw the nearest grids: the report names the rules left broken.
    await page.locator('#plan-notice button', { hasText: '仍然划分' }).click();
    await page.waitForSelector('#plan-relaxed li', { timeout: 60_000 });
    await landed(page, v);
    const s = await state();
    const { data: history } = await api('GET', `/api/plans/${s.plan}/history`);
    assert.equal(history.history.at(-1).edit.kind, 'partition');
    assert.equal(history.history.at(-1).edit.best_effort, true);
    const relaxed = await page.locator('#plan-relaxed li').allInnerTexts();
    assert.ok(relaxed.length >= 1);
    assert.match(relaxed[0], /户/);
  }
  await shot('auto');
});

test('comparing two plans lists the moves and rings the changed buildings', async () => {
  const { page } = ctx;
  const s = await state();
  // A second plan from this one, with one building moved through the API.
  const { data: copy } = await api('POST', '/api/plans', { community_id: s.community, name: '对比方案', from: s.plan });
  const { data: layers } = await api('GET', `/api/plans/${copy.plan.id}/layers`);
  const b = layers.buildings.features.find((f) => f.properties.grid !== null && f.properties.households > 0);
  const to = copy.grids.find((g) => g.key !== b.properties.grid && !g.locked).key;
  const moved = await api('POST', `/api/plans/${copy.plan.id}/edits`, { version: copy.version, edit: { kind: 'move', buildings: [b.id], to } });
  assert.equal(moved.status, 200);
  // Opening the tab lists the plans afresh.
  await page.click('#plan-tab-compare');
  await page.waitForSelector(`#plan-compare-with option[value="${copy.plan.id}"]`, { state: 'attached' });
  await page.selectOption('#plan-compare-with', String(copy.plan.id));
  await page.click('#plan-compare');
  await page.waitForSelector('#plan-diff h3');
  const { data: diff } = await api('GET', `/api/plans/${s.plan}/diff/${copy.plan.id}`);
  assert.equal(diff.buildings_moved, 1);
  assert.equal(await page.locator('#plan-diff-buildings').innerText(), '1');
  assert.equal(Number((await page.locator('#plan-diff-households').innerText()).replace(/\D/g, '')), diff.households_moved);
  const ringed = await page.evaluate((id) => window.__map.getFeatureState({ source: 'plan-buildings', id }).changed, b.id);
  assert.equal(ringed, true);
  await settled(page);
  await shot('compare');
  await page.click('#plan-compare-clear');
});

test('publishing a draft made before another publish says what changed; merging lists the conflict; publishing anyway needs a reason', async () => {
  const { page } = ctx;
  // A community whose fresh draft breaks no rule (a planner may publish it); rules widened if none does.
  const { data: list } = await api('GET', '/api/communities');
  const fresh = async (id, name) => (await api('POST', '/api/plans', { community_id: id, name })).data;
  let pick = null;
  for (const c of list.communities) {
    const d = await fresh(c.id, 'probe');
    if (d.grids.length < 2) continue;
    pick ??= c.id;
    const { data: v } = await api('GET', `/api/plans/${d.plan.id}/validate`);
    if (v.clean) { pick = c.id; break; }
  }
  assert.ok(pick !== null, 'a community with two grids');
  const probe = await fresh(pick, 'probe');
  if (!(await api('GET', `/api/plans/${probe.plan.id}/validate`)).data.clean) {
    const r = await api('PUT', `/api/communities/${pick}/rules`, { min_households: 1, max_households: 100000, target_households: 400 });
    assert.equal(r.status, 200);
  }
  const mine = await fresh(pick, '界面草案');
  const other = await fresh(pick, '他人方案');
  const [k1, k2] = [mine.grids[0].key, mine.grids[1].key];
  const code1 = mine.grids[0].code.slice(-3);
  assert.equal((await api('GET', `/api/plans/${mine.plan.id}/validate`)).data.clean, true, 'the draft breaks no rule');
  // Both rename grid 1; the other planner publishes first (through the CLI).
  const rename = async (plan, version, grid, name) => {
    const r = await api('POST', `/api/plans/${plan}/edits`, { version, edit: { kind: 'rename', grid, name } });
    assert.equal(r.status, 200);
    return r.data.version;
  };
  await rename(mine.plan.id, 1, k1, '本草案改名');
  await rename(other.plan.id, 1, k1, '他人改名');
  cli(['plan', 'publish', String(other.plan.id), '--force']);

  await page.click('#plan-tab-grids');
  await page.selectOption('#plan-community', String(pick));
  await page.waitForFunction((id) => window.__plan.state.community?.id === id && window.__plan.idle(), pick);
  await page.waitForSelector(`#plan-select option[value="${mine.plan.id}"]`, { state: 'attached' });
  await page.selectOption('#plan-select', String(mine.plan.id));
  await page.waitForFunction((id) => window.__plan.state.plan?.id === id && window.__plan.state.version === 2 && window.__plan.idle(), mine.plan.id);
  expected.push(`/api/plans/${mine.plan.id}/publish`);
  await page.click('#plan-publish');
  await page.waitForSelector('#plan-notice.base');
  let text = await page.locator('#plan-notice').innerText();
  assert.match(text, /此草案是在较早的发布上做的/);
  assert.match(text, /“他人方案”/);
  assert.match(text, new RegExp(`网格 ${code1} 改名：.* → 他人改名`));
  assert.match(text, /合并最新发布/);
  assert.match(text, /仍然发布/);
  assert.equal((await api('GET', `/api/plans/${mine.plan.id}`)).data.plan.status, 'draft');
  await settled(page);
  await shot('base-changed');

  // Merge the latest publish: the draft now builds on it; the clash on grid 1 is listed.
  let v = (await state()).version;
  await page.click('#plan-base-rebase');
  await landed(page, v);
  await page.waitForSelector('#plan-notice.warn #plan-notice-lines li');
  text = await page.locator('#plan-notice').innerText();
  assert.match(text, /已合并最新发布：本草案的 1 项修改中有 1 项已重新应用，1 处冲突/);
  assert.match(text, new RegExp(`网格 ${code1} 的名称在最新发布中也改了`));
  let { data: view } = await api('GET', `/api/plans/${mine.plan.id}`);
  assert.equal(view.plan.base_published_id, other.plan.id);
  // Keys are renumbered by the rebase; codes stay.
  assert.equal(view.state.grids.find((g) => g.code.slice(-3) === code1).name, '本草案改名');
  await settled(page);
  await shot('rebased');

  // A third planner publishes (grid 2 renamed): this time publish anyway, which needs a reason.
  const third = await fresh(pick, '第三方案');
  await rename(third.plan.id, 1, k2, '第三方改名');
  cli(['plan', 'publish', String(third.plan.id), '--force']);
  await page.click('#plan-publish');
  await page.waitForSelector('#plan-notice.base');
  assert.match(await page.locator('#plan-notice').innerText(), /第三方改名/);
  // The same notice in English.
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#plan-notice')?.textContent.includes('was made on an older publish'));
  text = await page.locator('#plan-notice').innerText();
  assert.match(text, /“第三方案” \(plan \d+\) was published by/);
  assert.match(text, new RegExp(`Grid ${mine.grids[1].code.slice(-3)} renamed: .* → 第三方改名`));
  assert.match(text, /Merge the latest publish/);
  assert.match(text, /Publish anyway/);
  await settled(page);
  await shot('base-changed-en');
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#plan-notice')?.textContent.includes('此草案是在较早的发布上做的'));
  await page.click('#plan-base-force');
  await page.waitForSelector('#plan-base-reason');
  await page.click('#plan-base-confirm');
  assert.ok(await page.locator('#plan-base-reason').isVisible(), 'no reason: not sent');
  assert.equal((await api('GET', `/api/plans/${mine.plan.id}`)).data.plan.status, 'draft');
  await page.fill('#plan-base-reason', '社区会议决定采用本草案');
  await settled(page);
  await shot('force-reason');
  v = (await state()).version;
  await page.click('#plan-base-confirm');
  await page.waitForSelector('#plan-notice.ok');
  assert.match(await page.locator('#plan-notice').innerText(), /已发布（替换了他人的发布，原因已记录）/);
  ({ data: view } = await api('GET', `/api/plans/${mine.plan.id}`));
  assert.equal(view.plan.status, 'published');
  assert.ok(view.version > v);
});

test('English re-renders every label; no console errors and nothing outside 127.0.0.1', async () => {
  const { page, problems } = ctx;
  await page.click('#plan-tab-grids');
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#plan-tab-grids').textContent === 'Grids');
  const side = await page.locator('.plan-side').innerText();
  for (const word of ['Community', 'Plan', 'Undo', 'Redo', 'Publish', 'Select', 'Lasso', 'Brush', 'Split', 'Households', 'Checks', 'Automatic', 'Compare']) {
    assert.ok(side.includes(word), `"${word}" in the English panel`);
  }
  for (const word of ['撤销', '发布', '户数', '网格人员', '画笔', '检查']) {
    assert.ok(!side.includes(word), `no "${word}" left after switching to English`);
  }
  assert.match(await page.locator('#plan-legend').innerText(), /households/);
  await settled(page);
  await shot('en');
  // Expected: the signed-out probe of /api/auth/me before signing in, the stale edit's 409 and
  // (on this sample) the infeasible partition's 422.
  const unexpected = problems.filter((p) => !(/^HTTP (409|422): /.test(p) && expected.some((e) => p.endsWith(e)))
    && !/^HTTP 401: .*\/api\/auth\/me$/.test(p)
    && !/^console: Failed to load resource: the server responded with a status of (401|409|422)/.test(p));
  assert.deepEqual(unexpected, []);
});
