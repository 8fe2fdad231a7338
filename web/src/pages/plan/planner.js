// The planner's controller: which community and plan are open, the plan as
// the server last answered (grids, assignment, version), the optimistic
// local recount while painting, and every write to the plan API. Writes run
// one after another, each on the newest version; a stale one (409) is
// explained, the view refreshed, and the edit offered again.

import { h } from '../../dom.js';
import { errorText, has, t, translate } from '../../i18n.js';
import * as api from './api.js';
import { planMap } from './map.js';
import { statusOf } from './geo.js';
import { sidePanel } from './panels.js';

export function planner(main, me) {
  const mapEl = h('div', { id: 'map', class: 'map' });
  main.append(mapEl);

  const S = {
    me,
    communities: [],
    community: null,
    rules: null,
    plans: [],
    plan: null,
    version: 0,
    canUndo: false,
    canRedo: false,
    grids: [], // GridSummary, sorted by key
    people: new Map(), // key -> [PlanPerson]
    assign: new Map(), // building id -> key
    households: new Map(), // building id -> households
    points: new Map(), // building id -> [lon, lat]
    names: new Map(),
    bbox: null,
    active: null,
    checked: new Set(),
    selection: new Set(),
    tool: 'select',
    tab: 'grids',
    breaks: null,
    report: null,
    diff: null,
    notice: null, // {kind: 'ok'|'error'|'stale'|'warn', key, vars, actions: [{key, run}]}
    busy: 0,
    pending: 0, // writes queued or running
    painted: [],
  };
  const gridBy = (key) => S.grids.find((g) => g.key === key);
  const editable = () => S.plan?.status === 'draft' && Boolean(S.community?.can_edit);

  // The map calls back into the planner.
  const pm = planMap(mapEl, {
    select: (ids, how) => select(ids, how),
    activate: (key) => activate(key),
    paint: (ids) => paint(ids),
    paintEnd: () => paintEnd(),
    line: (coords) => split(coords),
    polygon: (coords) => drawBoundary(coords),
  });

  const ui = sidePanel(S, {
    community: (id) => openCommunity(id),
    plan: (id) => openPlan(id, { fit: false }),
    create: (name, from) => createPlan(name, from),
    undo: () => step('undo'),
    redo: () => step('redo'),
    publish: (force) => publish(force),
    tool: (name) => setTool(name),
    finish: () => pm.finishSketch(),
    moveSelected: () => moveSelection(),
    clearSelection: () => select([], 'replace'),
    activate: (key) => activate(key, { zoom: true }),
    check: (key, on) => { if (on) S.checked.add(key); else S.checked.delete(key); ui.renderGrids(); },
    addGrid: () => edit({ kind: 'add_grid' }, { key: 'plan.what.add' }, (r) => {
      const key = r.summary?.grids_added?.[0];
      if (key !== undefined) S.active = key;
    }),
    merge: () => merge(),
    rename: (key, name) => edit({ kind: 'rename', grid: key, name }, { key: 'plan.what.rename', vars: { grid: label(key) } }),
    recode: (key, code) => edit({ kind: 'recode', grid: key, code }, { key: 'plan.what.recode', vars: { grid: label(key) } }),
    lock: (key, locked) => edit({ kind: locked ? 'lock' : 'unlock', grid: key },
      { key: locked ? 'plan.what.lock' : 'plan.what.unlock', vars: { grid: label(key) } }),
    kind: (key, kind) => edit({ kind: 'set_kind', grid: key, grid_kind: kind }, { key: 'plan.what.kind', vars: { grid: label(key) } }),
    people: (key, people) => edit({ kind: 'set_people', grid: key, people }, { key: 'plan.what.people', vars: { grid: label(key) } }),
    validate: () => validate(),
    showBreak: (b) => showBreak(b),
    partition: (opts) => partition(opts),
    compare: (other) => compare(other),
    clearCompare: () => { S.diff = null; pm.setChanged([]); ui.renderDiff(); },
    dismiss: () => say(null),
    reloadPlans: () => reloadPlans(),
  });
  main.append(ui.el, ui.legend);

  window.__plan = {
    get state() { return S; },
    select: (ids) => select(ids, 'replace'),
    idle: () => S.pending === 0,
  };

  // ---- notices --------------------------------------------------------------
  function say(notice) {
    S.notice = notice;
    ui.renderNotice();
  }
  const failed = (e) => say({ kind: 'error', key: 'plan.failed', vars: { message: errorText(e) } });

  function label(key) {
    const g = gridBy(key);
    return g ? `${g.name} (${g.code.slice(-3)})` : `#${key}`;
  }

  // ---- loading --------------------------------------------------------------
  async function start() {
    try {
      S.communities = await api.communities();
    } catch (e) {
      failed(e);
      return;
    }
    ui.renderCommunities();
    if (!S.communities.length) {
      say({ kind: 'warn', key: 'plan.nocommunities' });
      return;
    }
    const q = new URLSearchParams(location.search);
    const wanted = Number(q.get('community'));
    const c = S.communities.find((x) => x.id === wanted) ?? S.communities.find((x) => x.can_edit) ?? S.communities[0];
    await openCommunity(c.id, Number(q.get('plan')) || null);
  }

  async function openCommunity(id, planId = null) {
    S.community = S.communities.find((c) => c.id === Number(id)) ?? null;
    if (!S.community) return;
    S.plan = null;
    S.diff = null;
    S.report = null;
    S.breaks = null;
    S.active = null;
    S.checked.clear();
    pm.setChanged([]);
    pm.fit(S.community.bbox, { animate: false });
    try {
      [S.rules, S.plans] = await Promise.all([api.rules(S.community.id), api.plans(S.community.id)]);
    } catch (e) {
      failed(e);
      return;
    }
    ui.renderAll();
    const plan = S.plans.find((p) => p.id === planId) ?? S.plans.find((p) => p.status === 'draft') ?? S.plans[0];
    if (plan) await openPlan(plan.id, { fit: true });
    else {
      url();
      say({ kind: 'warn', key: 'plan.noplans' });
      ui.showCreate(true);
    }
  }

  async function openPlan(id, { fit }) {
    S.plan = S.plans.find((p) => p.id === Number(id)) ?? { id: Number(id) };
    S.diff = null;
    S.report = null;
    S.breaks = null;
    S.checked.clear();
    select([], 'replace');
    pm.setChanged([]);
    await refresh({ fit });
    url();
    ui.renderAll();
  }

  function url() {
    const q = new URLSearchParams(location.search);
    if (S.community) q.set('community', S.community.id);
    if (S.plan) q.set('plan', S.plan.id); else q.delete('plan');
    history.replaceState(null, '', `/plan?${q}`);
  }

  /** Everything about the open plan, from the server. */
  async function refresh({ fit = false } = {}) {
    if (!S.plan) return;
    const planId = S.plan.id;
    let view;
    let layers;
    let checks;
    try {
      [view, layers, checks] = await Promise.all([api.view(planId), api.layers(planId), api.validate(planId)]);
    } catch (e) {
      if (e.code === 'plan_state_unreadable' && e.body?.plan === planId) {
        // A stored version that cannot be read: name it, and offer the way back.
        say({
          kind: 'error', key: 'plan.error.plan_state_unreadable', vars: { version: e.body.version },
          actions: editable() ? [{ key: 'plan.undo', run: () => { say(null); S.version = e.body.version; write('undo', {}, { key: 'plan.what.undo' }); } }] : undefined,
        });
        return;
      }
      failed(e);
      return;
    }
    S.plan = view.plan;
    const i = S.plans.findIndex((p) => p.id === view.plan.id);
    if (i >= 0) S.plans[i] = view.plan;
    S.version = view.version;
    S.canUndo = view.can_undo;
    S.canRedo = view.can_redo;
    S.people = new Map(view.state.grids.map((g) => [g.key, g.people]));
    S.assign = new Map(Object.entries(view.state.assignment).map(([b, k]) => [Number(b), k]));
    S.households = new Map();
    S.points = new Map();
    S.names = new Map();
    for (const f of layers.buildings.features) {
      S.households.set(f.id, f.properties.households);
      S.points.set(f.id, f.geometry.coordinates);
      if (f.properties.name) S.names.set(f.id, f.properties.name);
    }
    S.bbox = layers.bbox;
    S.breaks = checks;
    if (S.active !== null && !view.grids.some((g) => g.key === S.active)) S.active = null;
    for (const k of [...S.checked]) if (!view.grids.some((g) => g.key === k)) S.checked.delete(k);
    pm.setLayers(layers);
    setGrids(view.grids);
    pm.setActive(S.active);
    if (fit) pm.fit(S.bbox, { animate: false });
    ui.renderAll();
  }

  /** New grid summaries (server or local): list, map colours and labels. */
  function setGrids(grids) {
    S.grids = [...grids].sort((a, b) => a.key - b.key);
    ui.renderGrids();
    ui.renderHead();
    mapGrids();
  }

  function mapGrids() {
    const sums = new Map();
    for (const [b, k] of S.assign) {
      const p = S.points.get(b);
      if (!p) continue;
      const s = sums.get(k) ?? { x: 0, y: 0, n: 0, members: [] };
      s.x += p[0]; s.y += p[1]; s.n += 1; s.members.push(p);
      sums.set(k, s);
    }
    const at = new Map();
    for (const [k, s] of sums) {
      // The member building nearest the mean, so the label sits inside the grid.
      const cx = s.x / s.n;
      const cy = s.y / s.n;
      let best = s.members[0];
      let d = Infinity;
      for (const p of s.members) {
        const e = (p[0] - cx) ** 2 + (p[1] - cy) ** 2;
        if (e < d) { d = e; best = p; }
      }
      at.set(k, best);
    }
    pm.setGrids(S.grids.map((g) => ({
      key: g.key, status: g.status,
      label: `${g.code.slice(-3)}\n${t('plan.map.households', { n: g.households })}`,
    })), at);
  }

  // ---- selection, activation, painting ---------------------------------------
  function select(ids, how) {
    let next;
    if (how === 'replace') next = new Set(ids);
    else if (how === 'add') next = new Set([...S.selection, ...ids]);
    else {
      next = new Set(S.selection);
      for (const id of ids) if (next.has(id)) next.delete(id); else next.add(id);
    }
    S.selection = next;
    pm.setSelection([...next]);
    ui.renderSelection();
  }

  function activate(key, { zoom = false } = {}) {
    S.active = key;
    pm.setActive(key);
    ui.renderGrids();
    if (zoom) {
      const ids = [...S.assign].filter(([, k]) => k === key).map(([b]) => b);
      if (ids.length) pm.zoomTo(ids);
    }
  }

  function setTool(name) {
    S.tool = name;
    pm.setTool(name);
    ui.renderTools();
  }

  /** Move buildings locally (optimistic); returns the ids that did move. */
  function localMove(ids, to) {
    const target = gridBy(to);
    if (!target || target.locked) return [];
    const moved = [];
    for (const id of ids) {
      const from = S.assign.get(id);
      if (from === to || !S.households.has(id)) continue;
      const source = from === undefined ? null : gridBy(from);
      if (source?.locked) continue;
      const hh = S.households.get(id) ?? 0;
      if (source) {
        source.households -= hh;
        source.buildings -= 1;
        source.status = statusOf(source.kind, source.households, S.rules);
      }
      target.households += hh;
      target.buildings += 1;
      S.assign.set(id, to);
      moved.push(id);
    }
    target.status = statusOf(target.kind, target.households, S.rules);
    if (moved.length) {
      pm.paintBuildings(moved, to);
      scheduleRecount();
    }
    return moved;
  }

  let recountFrame = 0;
  function scheduleRecount() {
    if (recountFrame) return;
    recountFrame = requestAnimationFrame(() => {
      recountFrame = 0;
      ui.renderGrids();
      mapGrids();
    });
  }

  function needActive() {
    if (!editable()) {
      say({ kind: 'warn', key: 'plan.readonly' });
      return false;
    }
    const g = gridBy(S.active);
    if (!g) {
      say({ kind: 'warn', key: 'plan.noactive' });
      return false;
    }
    if (g.locked) {
      say({ kind: 'warn', key: 'plan.activelocked', vars: { grid: label(g.key) } });
      return false;
    }
    return true;
  }

  let painting = false;
  function paint(ids) {
    if (!painting) {
      if (!needActive()) return;
      painting = true;
      S.painted = [];
    }
    S.painted.push(...localMove(ids, S.active));
  }

  function paintEnd() {
    if (!painting) return;
    painting = false;
    const ids = S.painted;
    S.painted = [];
    if (!ids.length) return;
    const to = S.active;
    edit({ kind: 'move', buildings: ids, to }, { key: 'plan.what.move', vars: { n: ids.length, grid: label(to) } });
  }

  function moveSelection() {
    if (!S.selection.size || !needActive()) return;
    const to = S.active;
    const ids = localMove([...S.selection], to);
    if (!ids.length) {
      say({ kind: 'warn', key: 'plan.nothingmoved' });
      return;
    }
    edit({ kind: 'move', buildings: ids, to }, { key: 'plan.what.move', vars: { n: ids.length, grid: label(to) } });
  }

  function split(line) {
    if (!needActive()) return;
    const grid = S.active;
    edit({ kind: 'split', grid, line }, { key: 'plan.what.split', vars: { grid: label(grid) } },
      (r) => { const k = r.summary?.grids_added?.[0]; if (k !== undefined) S.active = k; });
  }

  function drawBoundary(polygon) {
    if (!editable()) { say({ kind: 'warn', key: 'plan.readonly' }); return; }
    const grid = gridBy(S.active) && !gridBy(S.active).locked ? S.active : null;
    edit({ kind: 'draw', polygon, grid }, grid === null ? { key: 'plan.what.drawnew' } : { key: 'plan.what.draw', vars: { grid: label(grid) } },
      (r) => { const k = r.summary?.grids_added?.[0]; if (k !== undefined) S.active = k; });
  }

  function merge() {
    const keys = [...S.checked].sort((a, b) => a - b);
    if (keys.length < 2) {
      say({ kind: 'warn', key: 'plan.merge.needtwo' });
      return;
    }
    // Into the active grid when it is one of them.
    if (keys.includes(S.active)) keys.splice(keys.indexOf(S.active), 1), keys.unshift(S.active);
    edit({ kind: 'merge', grids: keys }, { key: 'plan.what.merge', vars: { n: keys.length, grid: label(keys[0]) } },
      () => { S.checked.clear(); S.active = keys[0]; });
  }

  // ---- writes -----------------------------------------------------------------
  let queue = Promise.resolve();

  /**
   * Run a write on the newest version, after any write already in flight.
   * `what` describes it for the stale message ({key, vars}).
   */
  function write(path, body, what, after) {
    const run = async () => {
      if (!S.plan) return null;
      const version = S.version;
      S.busy += 1;
      ui.renderHead();
      try {
        const r = await api.write(S.plan.id, path, { ...body, version });
        if (typeof r?.version === 'number') S.version = r.version;
        if (Array.isArray(r?.grids)) setGrids(r.grids);
        after?.(r);
        // A notice set by `after` (e.g. the publish figures) stays; any older one goes.
        if (S.notice?.sticky) S.notice.sticky = false; else S.notice = null;
        ui.renderNotice();
        await refresh();
        return r;
      } catch (e) {
        if (e.code === 'stale_version') {
          await refresh();
          say({
            kind: 'stale', key: 'plan.stale',
            vars: { mine: version, theirs: e.body?.current_version ?? S.version },
            what,
            actions: [
              { key: 'plan.stale.retry', run: () => { say(null); write(path, body, what, after); } },
              { key: 'plan.stale.drop', run: () => say(null) },
            ],
          });
        } else if (e.code === 'base_changed' && e.body?.published_plan) {
          // Another plan was published since this draft was made: say what it
          // changed, and offer to merge it in or to publish anyway with a reason.
          await refresh();
          baseChanged(e.body);
        } else if (e.code === 'infeasible' && e.body?.reason) {
          // The rules cannot be met: say why in the user's language and show the buildings.
          const r = e.body.reason;
          const ids = e.body.buildings ?? [];
          // A partition may still draw the nearest grids, naming the rules left broken.
          const actions = path === 'partition' && !body.best_effort
            ? [{ key: 'plan.auto.besteffort', run: () => { say(null); write(path, { ...body, best_effort: true }, what, after); } }]
            : undefined;
          say({
            kind: 'error', key: `plan.infeasible.${r.kind}`,
            vars: { ...r, building: ids.length ? (S.names.get(ids[0]) ?? `#${ids[0]}`) : '', n: ids.length },
            actions,
          });
          if (ids.length) {
            select(ids, 'replace');
            pm.zoomTo(ids);
          }
        } else {
          // Whatever was shown optimistically goes back to the server's state.
          await refresh();
          const known = `plan.error.${e.code}`;
          say({ kind: 'error', key: has(known) ? known : 'plan.refused', vars: { message: has(known) ? e.message : errorText(e), code: e.code }, what });
        }
        return null;
      } finally {
        S.busy -= 1;
        ui.renderHead();
      }
    };
    S.pending += 1;
    const done = () => { S.pending -= 1; };
    queue = queue.then(run, run).finally(done);
    return queue;
  }

  const edit = (e, what, after) => write('edits', { edit: e }, what, after);

  function step(which) {
    if (!editable()) return;
    // With writes still in flight the flags are not known yet: let the server decide.
    if (S.pending === 0 && (which === 'undo' ? !S.canUndo : !S.canRedo)) return;
    write(which, {}, { key: `plan.what.${which}` });
  }

  function partition({ mode, seed, rules, onlyChecked }) {
    if (!editable()) { say({ kind: 'warn', key: 'plan.readonly' }); return; }
    const body = { mode, seed, rules };
    if (onlyChecked) {
      if (!S.checked.size) { say({ kind: 'warn', key: 'plan.auto.nochecked' }); return; }
      body.grids = [...S.checked];
    }
    S.report = null;
    ui.renderReport();
    write('partition', body, { key: 'plan.what.partition' }, (r) => {
      S.report = r.report;
      ui.renderReport();
    });
  }

  async function publish(force) {
    if (!editable()) return;
    if (!force) {
      try {
        S.breaks = await api.validate(S.plan.id);
      } catch (e) {
        failed(e);
        return;
      }
      ui.renderBreaks();
      if (!S.breaks.clean) {
        say({
          kind: 'warn', key: 'plan.publish.breaks', vars: { n: S.breaks.breaks.length },
          actions: [
            { key: 'plan.publish.anyway', run: () => publish(true) },
            { key: 'plan.publish.review', run: () => { say(null); ui.showTab('checks'); } },
          ],
        });
        return;
      }
    }
    await publishWith({});
  }

  async function publishWith(body) {
    await write('publish', body, { key: 'plan.what.publish' }, (r) => {
      S.notice = {
        kind: 'ok', sticky: true, key: r.forced_base ? 'plan.published.forced' : 'plan.published',
        vars: { kept: r.grids_kept, added: r.grids_added, removed: r.grids_removed, moved: r.buildings_moved },
      };
    });
    try {
      S.plans = await api.plans(S.community.id);
    } catch {
      // the list refreshes on the next change
    }
    ui.renderAll();
  }

  /** The 409 `base_changed` notice: who published what, what it changed, and the two ways on. */
  function baseChanged(body) {
    const p = body.published_plan;
    const c = body.changes ?? {};
    const codes = (list) => list.map((g) => `${g.code.slice(-3)} ${g.name}`).join('、');
    const lines = [];
    for (const g of c.grids_renamed ?? []) lines.push({ key: 'plan.base.renamed', vars: { code: g.code.slice(-3), from: g.from, to: g.to } });
    if (c.grids_added?.length) lines.push({ key: 'plan.base.added', vars: { grids: codes(c.grids_added) } });
    if (c.grids_removed?.length) lines.push({ key: 'plan.base.removed', vars: { grids: codes(c.grids_removed) } });
    for (const g of c.grids_changed ?? []) lines.push({ key: 'plan.base.gridchanged', vars: { code: g.code.slice(-3), name: g.name, fields: g.fields } });
    if (c.buildings_moved) lines.push({ key: 'plan.base.moved', vars: { n: c.buildings_moved, households: c.households_moved } });
    if (!lines.length) lines.push({ key: 'plan.base.nochange' });
    say({
      kind: 'base', key: 'plan.base.changed',
      vars: {
        name: p.name, id: p.id,
        who: (p.published_by ?? '').replace(/^(user|cli):/, '') || '—',
        when: p.published_at ? new Date(p.published_at * 1000).toLocaleString(document.documentElement.lang) : '—',
      },
      lines, after: 'plan.base.choose',
      actions: [
        { key: 'plan.base.rebase', id: 'plan-base-rebase', run: () => { say(null); rebase(); } },
        { key: 'plan.base.force', id: 'plan-base-force', run: () => { S.notice.reason = true; ui.renderNotice(); } },
      ],
      onReason: (reason) => { say(null); publishWith({ force_base: true, reason }); },
    });
  }

  /** Merge the newer published plan in: the draft's edits replayed onto it, conflicts listed. */
  function rebase() {
    if (!editable()) return;
    write('rebase', {}, { key: 'plan.what.rebase' }, (r) => {
      S.notice = {
        kind: r.conflicts.length ? 'warn' : 'ok', sticky: true, key: 'plan.base.rebased',
        vars: { replayed: r.replayed, edits: r.edits, n: r.conflicts.length },
        lines: r.conflicts.map((x) => ({
          key: x.kind === 'both_changed' && !x.fields.length ? 'plan.conflict.both_moved' : `plan.conflict.${x.kind}`,
          vars: { version: x.version, grid: x.grid ? x.grid.slice(-3) : '—', fields: x.fields, n: x.buildings.length, message: x.message },
        })),
      };
    });
  }

  async function reloadPlans() {
    if (!S.community) return;
    try {
      S.plans = await api.plans(S.community.id);
    } catch {
      return; // the list stays as it was
    }
    ui.renderHead();
    ui.renderDiff();
  }

  async function createPlan(name, from) {
    try {
      const v = await api.create(S.community.id, name, from);
      S.plans = await api.plans(S.community.id);
      S.plan = v.plan;
      ui.showCreate(false);
      say({ kind: 'ok', key: 'plan.created', vars: { name: v.plan.name } });
      await openPlan(v.plan.id, { fit: false });
    } catch (e) {
      failed(e);
    }
  }

  async function validate() {
    if (!S.plan) return;
    try {
      S.breaks = await api.validate(S.plan.id);
    } catch (e) {
      failed(e);
      return;
    }
    ui.renderBreaks();
  }

  function showBreak(b) {
    if (b.grids?.length === 1) activate(b.grids[0]);
    const ids = b.buildings?.length ? b.buildings
      : [...S.assign].filter(([, k]) => b.grids?.includes(k)).map(([id]) => id);
    if (b.buildings?.length) select(b.buildings, 'replace');
    if (ids.length) pm.zoomTo(ids);
  }

  async function compare(other) {
    if (!S.plan || !other) return;
    try {
      S.diff = await api.diff(S.plan.id, other);
    } catch (e) {
      failed(e);
      return;
    }
    pm.setChanged(S.diff.moved.map((m) => m.building));
    ui.renderDiff();
    if (S.diff.moved.length) pm.zoomTo(S.diff.moved.map((m) => m.building));
  }

  // ---- keyboard ---------------------------------------------------------------
  window.addEventListener('keydown', (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '');
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !typing) {
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) { e.preventDefault(); step('undo'); return; }
      if ((k === 'z' && e.shiftKey) || k === 'y') { e.preventDefault(); step('redo'); return; }
    }
    if (typing) return;
    if (e.key === 'Escape') {
      if (pm.sketching) pm.cancelSketch(); else select([], 'replace');
    } else if (e.key === 'Enter' && pm.sketching) {
      pm.finishSketch();
    }
  });

  window.addEventListener('langchange', () => {
    translate(main);
    ui.renderAll();
    mapGrids();
  });

  start();
}
