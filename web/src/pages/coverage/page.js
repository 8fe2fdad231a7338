// `/coverage`: the official's page. Walking coverage of service stations
// (5/10/15-minute bands) on the map with the uncovered buildings
// highlighted; headline figures overall and by station tier; sortable
// tables per community and per grid (CSV export); charts; siting of new
// stations; the grids' rule compliance. Signed-in officials and admins only:
// a signed-out visitor sees the sign-in panel over the public map, nothing
// else.

/* global maplibregl */

import { h, fill } from '../../dom.js';
import { errorText, t, translate } from '../../i18n.js';
import { createMap, whenLoaded } from '../../map.js';
import { getJson, postJson } from '../../http.js';
import { loginPanel, logout, session } from '../../session.js';
import { communityBars, minutesHistogram } from './charts.js';
import { bandColour, coverageLayers, coverageOverlay, SITE, UNCOVERED, UNREACHABLE } from './layers.js';
import { download, sortableTable } from './table.js';
import { fixed, int, minutes as fmtMinutes, pct, round1, share } from './format.js';

const MINUTE_CHOICES = [5, 10, 15, 20, 30];
const TIERS = ['all', 'centre', 'station', 'point'];
const PAGE = 10_000;
/** Most buildings fetched for the histogram and the map colours. */
const MAX_BUILDINGS = 100_000;
const RETRY_MS = [1000, 2000, 3000, 5000];
const MAX_SITES = 20;

export function coveragePage(main) {
  main.className = 'mapped coverage';
  const mapEl = h('div', { id: 'map', class: 'map' });
  main.append(mapEl);
  const map = createMap(mapEl, { overlay: coverageOverlay });
  window.__coverage = { state: 'signin' };

  session().then((me) => {
    if (me) start(main, map, me);
    else signIn(main, map);
  });
}

function signIn(main, map) {
  const panel = loginPanel('login.coverage', (me) => {
    panel.remove();
    // Outside the sign-in form's error handling: a page fault is not a failed sign-in.
    setTimeout(() => start(main, map, me));
  });
  panel.id = 'cov-login';
  main.append(panel);
}

/** The signed-in page. */
function start(main, map, me) {
  const q = { minutes: 15, tier: 'all' };
  const canSite = me.role === 'admin' || me.scope?.kind === 'all';
  const layers = coverageLayers(map);
  let mapReady = false;
  let seq = 0;
  let abort = null;
  let data = null; // { rollup, tiers: {all, centre, station, point}, buildings, buildingsTotal }
  let compliance = null;
  let siting = null; // { status: 'idle'|'busy'|'done'|'error', result, error, k }
  let status = { key: 'cov.loading' };
  let selected = null;
  const hook = { state: 'loading', q, get data() { return data; }, get compliance() { return compliance; }, get siting() { return siting; } };
  window.__coverage = hook;

  // ---- skeleton ------------------------------------------------------------
  const minutesGroup = h('div', { class: 'seg', role: 'radiogroup', 'data-i18n-aria-label': 'cov.minutes.label', id: 'cov-minutes' },
    MINUTE_CHOICES.map((m) => h('button', {
      type: 'button', role: 'radio', class: 'seg-item', dataset: { minutes: m }, id: `cov-minutes-${m}`,
      onclick: () => setQuery({ minutes: m }),
    })));
  const tierGroup = h('div', { class: 'seg', role: 'radiogroup', 'data-i18n-aria-label': 'cov.tier.label', id: 'cov-tier' },
    TIERS.map((tier) => h('button', {
      type: 'button', role: 'radio', class: 'seg-item', dataset: { tier }, id: `cov-tier-${tier}`,
      onclick: () => setQuery({ tier }),
    })));
  const controls = h('div', { class: 'cov-controls' },
    h('div', { class: 'cov-control' }, h('span', { class: 'cov-control-label', 'data-i18n': 'cov.minutes.label' }), minutesGroup),
    h('div', { class: 'cov-control' }, h('span', { class: 'cov-control-label', 'data-i18n': 'cov.tier.label' }), tierGroup));
  const statusEl = h('div', { class: 'cov-status', id: 'cov-status', role: 'status', 'aria-live': 'polite' });

  const tabs = [
    ['overview', 'cov.tab.overview'],
    ['communities', 'cov.tab.communities'],
    ['grids', 'cov.tab.grids'],
    ['siting', 'cov.tab.siting'],
  ];
  let activeTab = 'overview';
  const tabButtons = {};
  const tabPanels = {};
  const tabList = h('div', { class: 'cov-tabs', role: 'tablist' }, tabs.map(([id, key]) => {
    tabButtons[id] = h('button', {
      type: 'button', role: 'tab', id: `cov-tab-${id}`, 'aria-controls': `cov-panel-${id}`, 'data-i18n': key,
      onclick: () => showTab(id),
    });
    return tabButtons[id];
  }));
  for (const [id] of tabs) {
    tabPanels[id] = h('section', { class: 'cov-tab-panel', role: 'tabpanel', id: `cov-panel-${id}`, 'aria-labelledby': `cov-tab-${id}` });
  }

  // Overview
  const headline = h('div', { class: 'cov-headline', id: 'cov-headline' });
  const uncoveredEl = h('p', { class: 'cov-uncovered', id: 'cov-uncovered-summary' });
  const tierTable = h('table', { class: 'cov-table cov-tiers', id: 'cov-tiers' });
  const complianceEl = h('div', { class: 'cov-compliance', id: 'cov-compliance' });
  const barsEl = h('div', { class: 'chart-wrap', id: 'cov-bars-wrap' });
  const histEl = h('div', { class: 'chart-wrap', id: 'cov-hist-wrap' });
  const histNote = h('p', { class: 'note', id: 'cov-hist-note' });
  const noteEl = h('p', { class: 'note', id: 'cov-note' });
  tabPanels.overview.append(
    h('h2', { 'data-i18n': 'cov.headline.title' }), headline, uncoveredEl,
    h('h2', { 'data-i18n': 'cov.tiers.title' }), h('div', { class: 'cov-table-wrap' }, tierTable),
    h('h2', { 'data-i18n': 'cov.chart.bars.title' }), barsEl,
    h('h2', { 'data-i18n': 'cov.chart.hist.title' }), histEl, histNote,
    h('h2', { 'data-i18n': 'cov.compliance.title' }), complianceEl,
    noteEl);

  // Tables
  const bandColumns = () => (data?.rollup.bands ?? []).map((b, j) => ({
    key: `band${j}`, numeric: true,
    label: () => t('cov.col.within', { m: fmtMinutes(b.minutes) }),
    value: (u) => round1(share(u.within_households[j] ?? 0, u.households)),
    text: (u) => pct(share(u.within_households[j] ?? 0, u.households)),
  }));
  const uncoveredOf = (u) => u.beyond_households + u.unreachable_households;
  const communityName = (id) => data?.rollup.communities.find((c) => c.id === id)?.name ?? '';
  const gridStatus = (id) => compliance?.grids.find((g) => g.id === id);
  const commCompliance = (id) => compliance?.communities.find((c) => c.id === id);
  const communityColumns = () => [
    { key: 'name', label: () => t('cov.col.community'), value: (u) => u.name },
    { key: 'code', label: () => t('cov.col.code'), value: (u) => u.code, cls: () => 'code' },
    { key: 'buildings', numeric: true, label: () => t('cov.col.buildings'), value: (u) => u.buildings, text: (u) => int(u.buildings) },
    { key: 'households', numeric: true, label: () => t('cov.col.households'), value: (u) => u.households, text: (u) => int(u.households) },
    ...bandColumns(),
    { key: 'uncovered', numeric: true, label: () => t('cov.col.uncovered'), value: uncoveredOf, text: (u) => int(uncoveredOf(u)) },
    {
      key: 'breaks', numeric: true, label: () => t('cov.col.breaks'),
      value: (u) => { const c = commCompliance(u.id); return c ? c.under + c.over : null; },
      text: (u) => { const c = commCompliance(u.id); return c ? t('cov.breaks.of', { n: int(c.under + c.over), of: int(c.grids) }) : '—'; },
      csv: (u) => { const c = commCompliance(u.id); return c ? c.under + c.over : ''; },
    },
  ];
  const gridColumns = () => [
    { key: 'name', label: () => t('cov.col.grid'), value: (u) => u.name },
    { key: 'code', label: () => t('cov.col.code'), value: (u) => u.code, cls: () => 'code' },
    { key: 'community', label: () => t('cov.col.community'), value: (u) => communityName(u.community_id) },
    { key: 'households', numeric: true, label: () => t('cov.col.households'), value: (u) => u.households, text: (u) => int(u.households) },
    ...bandColumns(),
    { key: 'uncovered', numeric: true, label: () => t('cov.col.uncovered'), value: uncoveredOf, text: (u) => int(uncoveredOf(u)) },
    {
      key: 'rule', label: () => t('cov.col.rule'),
      value: (u) => gridStatus(u.id)?.status ?? null,
      text: (u) => { const s = gridStatus(u.id)?.status; return s ? h('span', { class: `rule-chip ${s}` }, t(`cov.rule.${s}`)) : '—'; },
      csv: (u) => { const s = gridStatus(u.id)?.status; return s ? t(`cov.rule.${s}`) : ''; },
    },
  ];
  let communityTable = null;
  let gridTable = null;
  const communityTableSlot = h('div', { id: 'cov-communities-slot' });
  const gridTableSlot = h('div', { id: 'cov-grids-slot' });
  const exportButton = (id, which) => h('button', {
    type: 'button', class: 'button small', id, 'data-i18n': 'cov.export.csv',
    onclick: () => exportCsv(which),
  });
  tabPanels.communities.append(
    h('div', { class: 'cov-tab-head' }, h('p', { class: 'note', 'data-i18n': 'cov.table.hint' }), exportButton('cov-export-communities', 'communities')),
    communityTableSlot);
  tabPanels.grids.append(
    h('div', { class: 'cov-tab-head' }, h('p', { class: 'note', 'data-i18n': 'cov.table.hint' }), exportButton('cov-export-grids', 'grids')),
    gridTableSlot);

  // Siting
  const kInput = h('input', { type: 'number', id: 'cov-k', min: 1, max: MAX_SITES, value: 3, step: 1, inputmode: 'numeric' });
  const siteButton = h('button', { type: 'submit', class: 'button', id: 'cov-site', 'data-i18n': 'cov.siting.run' });
  const siteForm = h('form', {
    class: 'cov-site-form',
    onsubmit: (e) => { e.preventDefault(); runSiting(); },
  }, h('label', { for: 'cov-k', 'data-i18n': 'cov.siting.k' }), kInput, siteButton);
  const siteParams = h('p', { class: 'note', id: 'cov-site-params' });
  const siteResult = h('div', { class: 'cov-site-result', id: 'cov-site-result', 'aria-live': 'polite' });
  tabPanels.siting.append(h('p', { class: 'cov-intro', 'data-i18n': 'cov.siting.intro' }), siteForm, siteParams, siteResult);

  const panel = h('aside', { class: 'panel cov-panel', id: 'cov-panel', 'aria-labelledby': 'cov-title' },
    h('div', { class: 'cov-top' },
      h('h1', { id: 'cov-title', 'data-i18n': 'cov.title' }),
      controls, statusEl, tabList),
    h('div', { class: 'cov-scroll' }, Object.values(tabPanels)));
  const legend = h('div', { class: 'cov-legend', id: 'cov-legend', role: 'group' });
  main.append(panel, legend);
  main.classList.add('cov-on');

  // ---- map ------------------------------------------------------------------
  whenLoaded(map, () => {
    if (hook.state === 'forbidden') return;
    layers.setup();
    mapReady = true;
    map.setPadding(padding());
    drawMap();
  });
  map.on('click', (e) => {
    const layer = ['stations', 'cov-sites'].filter((l) => map.getLayer(l));
    const hit = map.queryRenderedFeatures(e.point, { layers: layer })[0];
    if (!hit) return;
    if (hit.layer.id === 'cov-sites') {
      const i = hit.properties.rank - 1;
      sitePopup(i);
      return;
    }
    stationPopup(hit);
  });
  for (const l of ['stations', 'cov-sites']) {
    map.on('mouseenter', l, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', l, () => { map.getCanvas().style.cursor = ''; });
  }
  let popup = null;
  function showPopup(lngLat, content) {
    popup?.remove();
    popup = new maplibregl.Popup({ closeButton: true, maxWidth: '280px', className: 'cov-popup' }).setLngLat(lngLat).setDOMContent(content).addTo(map);
    popup.on('close', () => layers.isochrone(null));
  }
  async function stationPopup(f) {
    const tier = f.properties.tier;
    const body = h('div', { class: 'cov-pop' },
      h('strong', {}, f.properties.name),
      h('div', { class: 'tier' }, t(`tier.${tier}`)),
      h('div', { class: 'note' }, t('cov.iso.loading', { m: fmtMinutes(q.minutes) })));
    showPopup(f.geometry.coordinates, body);
    try {
      const iso = await getJson(`/api/stations/${encodeURIComponent(f.id)}/isochrone?minutes=${q.minutes}`);
      layers.isochrone(iso);
      body.lastChild.textContent = t('cov.iso.shown', { m: fmtMinutes(q.minutes), d: int(iso.properties.metres) });
    } catch (e) {
      body.lastChild.textContent = e.code === 'station_not_on_network' ? t('cov.iso.offnet') : t('cov.failed', { message: errorText(e) });
    }
  }
  function sitePopup(i) {
    const s = siting?.result?.sites[i];
    if (!s) return;
    layers.isochrone(null);
    showPopup(s.point, h('div', { class: 'cov-pop' },
      h('strong', {}, t('cov.site.name', { n: i + 1 })),
      h('div', {}, t('cov.site.gain', { h: int(s.gain_households), b: int(s.gain_buildings) }))));
  }

  function padding() {
    if (window.innerWidth <= 900) return { top: 20, bottom: Math.round(window.innerHeight * 0.5), left: 10, right: 10 };
    const room = Math.round(map.getContainer().getBoundingClientRect().right - panel.getBoundingClientRect().left) + 20;
    return { top: 20, bottom: 20, left: 20, right: Math.max(20, Math.min(room, window.innerWidth - 200)) };
  }
  window.addEventListener('resize', () => { if (mapReady) map.setPadding(padding()); });

  function zoomTo(bbox) {
    if (!bbox) return;
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 40, maxZoom: 17, duration: 600 });
  }

  function drawMap() {
    if (!mapReady) return;
    const bands = data?.rollup.bands ?? defaultBands(q.minutes);
    layers.bands(bands);
    layers.tiers(q.tier === 'all' ? null : [q.tier]);
    if (data) layers.minutes(data.buildings);
    layers.sites(siting?.result?.sites ?? [], (site) => t('cov.site.map', { h: int(site.gain_households) }));
    layers.select(selected?.kind, selected?.id);
  }

  // ---- data -----------------------------------------------------------------
  function url(path, tier, extra = '') {
    return `${path}?minutes=${q.minutes}${tier === 'all' ? '' : `&tier=${tier}`}${extra}`;
  }

  /** GET, waiting out `coverage_pending` (503) with a visible retry count. */
  async function patient(path, signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await getJson(path, { signal });
      } catch (e) {
        if (e.code !== 'coverage_pending') throw e;
        setStatus({ key: 'cov.pending', vars: { n: attempt + 1 }, busy: true });
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)], signal);
      }
    }
  }

  async function load() {
    const mine = ++seq;
    abort?.abort();
    abort = new AbortController();
    const { signal } = abort;
    hook.state = 'loading';
    setStatus({ key: 'cov.loading', busy: true });
    try {
      const [rollups, buildings, comp] = await Promise.all([
        Promise.all(TIERS.map((tier) => patient(url('/api/coverage', tier), signal))),
        loadBuildings(signal),
        compliance ? Promise.resolve(compliance) : patient('/api/grids/compliance', signal),
      ]);
      if (mine !== seq) return;
      const tiers = Object.fromEntries(TIERS.map((tier, i) => [tier, rollups[i]]));
      data = { rollup: tiers[q.tier], tiers, buildings: buildings.rows, buildingsTotal: buildings.total };
      compliance = comp;
      hook.state = 'ready';
      setStatus(null);
      render();
      drawMap();
      if (!hook.fitted) {
        hook.fitted = true;
        const box = union(compliance.communities.map((c) => c.bbox));
        if (box) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 30, maxZoom: 15.5, duration: 0 });
      }
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      hook.state = 'error';
      if (e.status === 401) {
        panel.remove();
        legend.remove();
        main.classList.remove('cov-on', 'cov-wide');
        if (mapReady) layers.hide();
        signIn(main, map);
        return;
      }
      if (e.status === 403) {
        noAccess();
        return;
      }
      setStatus({ key: 'cov.failed', vars: { message: errorText(e) }, error: true, retry: true });
    }
  }

  async function loadBuildings(signal) {
    const rows = [];
    let total = 0;
    for (let offset = 0; offset < MAX_BUILDINGS; offset += PAGE) {
      const page = await patient(url('/api/coverage/buildings', q.tier, `&limit=${PAGE}&offset=${offset}`), signal);
      rows.push(...page.buildings);
      total = page.total;
      if (rows.length >= total) break;
    }
    return { rows, total };
  }

  function setQuery(change) {
    const next = { ...q, ...change };
    if (next.minutes === q.minutes && next.tier === q.tier) return;
    Object.assign(q, change);
    siting = null;
    renderControls();
    renderSiting();
    renderLegend();
    drawMap();
    load();
  }

  // ---- siting ---------------------------------------------------------------
  async function runSiting() {
    const k = Math.round(Number(kInput.value));
    if (!(k >= 1 && k <= MAX_SITES)) {
      siting = { status: 'error', error: t('cov.siting.badk', { max: MAX_SITES }) };
      renderSiting();
      return;
    }
    const body = { k, minutes: q.minutes };
    if (q.tier !== 'all') body.tier = q.tier;
    const asked = { ...q };
    siting = { status: 'busy', k };
    renderSiting();
    try {
      let result;
      for (let attempt = 0; ; attempt++) {
        try {
          result = await postJson('/api/coverage/siting', body);
          break;
        } catch (e) {
          if (e.code !== 'coverage_pending') throw e;
          await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
        }
      }
      if (asked.minutes !== q.minutes || asked.tier !== q.tier) return;
      siting = { status: 'done', k, result };
    } catch (e) {
      if (asked.minutes !== q.minutes || asked.tier !== q.tier) return;
      siting = { status: 'error', k, error: e.status === 403 ? t('cov.siting.forbidden') : t('cov.failed', { message: errorText(e) }) };
    }
    renderSiting();
    renderLegend();
    drawMap();
    const sites = siting.result?.sites ?? [];
    if (sites.length && mapReady) {
      const xs = sites.map((s) => s.point[0]);
      const ys = sites.map((s) => s.point[1]);
      map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 120, maxZoom: 15, duration: 600 });
    }
  }

  // ---- rendering ----------------------------------------------------------------
  function setStatus(s) {
    status = s;
    renderStatus();
  }

  function renderStatus() {
    if (!status) {
      fill(statusEl);
      statusEl.hidden = true;
      return;
    }
    statusEl.hidden = false;
    statusEl.className = `cov-status${status.error ? ' error' : ''}${status.busy ? ' busy' : ''}`;
    fill(statusEl,
      status.busy ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      h('span', {}, t(status.key, status.vars)),
      status.retry ? h('button', { type: 'button', class: 'link', id: 'cov-retry', onclick: load }, t('cov.retry')) : null);
  }

  function renderControls() {
    for (const b of minutesGroup.children) {
      const on = Number(b.dataset.minutes) === q.minutes;
      b.setAttribute('aria-checked', String(on));
      b.textContent = fmtMinutes(Number(b.dataset.minutes));
    }
    for (const b of tierGroup.children) {
      b.setAttribute('aria-checked', String(b.dataset.tier === q.tier));
      b.textContent = tierName(b.dataset.tier);
    }
  }

  function showTab(id) {
    const wide = id === 'communities' || id === 'grids';
    const changed = activeTab !== id || main.classList.contains('cov-wide') !== wide;
    activeTab = id;
    // The tables take a wider panel; the map keeps its centre in the room left.
    main.classList.toggle('cov-wide', wide);
    if (changed && mapReady) map.setPadding(padding());
    for (const [tid] of tabs) {
      tabButtons[tid].setAttribute('aria-selected', String(tid === id));
      tabButtons[tid].tabIndex = tid === id ? 0 : -1;
      tabPanels[tid].hidden = tid !== id;
    }
  }

  function renderHeadline() {
    const r = data.rollup;
    const o = r.overall;
    fill(headline, r.bands.map((b, j) => {
      const within = o.within_households[j] ?? 0;
      const p = share(within, o.households);
      return h('div', { class: 'figure', dataset: { minutes: b.minutes, value: p === null ? '' : String(p) } },
        h('span', { class: 'figure-swatch', style: `background:${bandColour(j, r.bands.length)}` }),
        h('span', { class: 'figure-label' }, t('cov.band.within', { m: fmtMinutes(b.minutes) })),
        h('strong', { class: 'figure-value' }, pct(p)),
        h('span', { class: 'figure-sub' }, t('cov.households.of', { n: int(within), of: int(o.households) })));
    }));
    if (noStation(o)) {
      fill(uncoveredEl, h('span', { class: 'swatch', style: `background:${UNREACHABLE}` }), t('cov.tier.none.long', { tier: tierName(q.tier) }));
      return;
    }
    const beyond = o.beyond_households;
    const none = o.unreachable_households;
    fill(uncoveredEl,
      h('span', { class: 'swatch', style: `background:${UNCOVERED}` }),
      t('cov.uncovered.summary', {
        n: int(beyond + none), b: int(o.beyond_buildings + o.unreachable_buildings), m: fmtMinutes(q.minutes),
      }),
      none ? [' ', h('span', { class: 'swatch', style: `background:${UNREACHABLE}` }), t('cov.unreachable.summary', { n: int(none) })] : null);
  }

  function renderTierTable() {
    const bands = data.rollup.bands;
    fill(tierTable,
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('cov.col.tier')),
        bands.map((b) => h('th', { scope: 'col', class: 'num' }, t('cov.band.within', { m: fmtMinutes(b.minutes) }))))),
      h('tbody', {}, TIERS.map((tier) => {
        const o = data.tiers[tier].overall;
        return h('tr', {
          class: tier === q.tier ? 'selected' : null, dataset: { tier }, tabindex: 0,
          title: t('cov.tiers.pick'),
          onclick: () => setQuery({ tier }),
          onkeydown: (e) => { if (e.key === 'Enter') setQuery({ tier }); },
        },
        h('th', { scope: 'row' }, tier === 'all' ? t('cov.tier.all') : [h('span', { class: `tier-dot ${tier}` }), ' ', tierName(tier)],
          noStation(o) ? h('span', { class: 'muted-note' }, t('cov.tier.none')) : null),
        bands.map((b, j) => h('td', { class: 'num', dataset: { minutes: b.minutes } }, pct(share(o.within_households[j] ?? 0, o.households)))));
      })));
  }

  function renderCompliance() {
    if (!compliance) return;
    const c = compliance.totals;
    const parts = ['under', 'ok', 'over', 'exempt'];
    const bar = h('div', { class: 'rule-bar', role: 'img', 'aria-label': parts.map((k) => `${t(`cov.rule.${k}`)} ${c[k]}`).join(', ') },
      parts.filter((k) => c[k] > 0).map((k) => h('span', { class: `rule-seg ${k}`, style: `flex:${c[k]}`, title: `${t(`cov.rule.${k}`)}: ${int(c[k])}` })));
    const ranges = [...new Set(compliance.communities.map((x) => `${x.min_households}–${x.max_households}`))];
    fill(complianceEl,
      bar,
      h('ul', { class: 'rule-counts' }, parts.map((k) => h('li', { dataset: { status: k } },
        h('span', { class: `rule-chip ${k}` }, t(`cov.rule.${k}`)), h('strong', {}, int(c[k]))))),
      h('p', { class: 'note' }, t('cov.compliance.note', {
        n: int(c.grids), ranges: ranges.length === 1 ? t('cov.households.range', { r: ranges[0] }) : t('cov.compliance.ranges'),
      })));
  }

  function renderCharts() {
    const r = data.rollup;
    fill(barsEl, communityBars(r.communities, r.bands, {
      onPick: (u) => pick('community', u.id),
    }));
    const hist = minutesHistogram(data.buildings, q.minutes, r.bands);
    fill(histEl, hist.svg);
    const parts = [];
    if (hist.median !== null) parts.push(t('cov.hist.median', { m: fmtMinutes(Math.round(hist.median * 10) / 10) }));
    if (data.buildingsTotal > data.buildings.length) {
      parts.push(t('cov.hist.partial', { n: int(data.buildings.length), of: int(data.buildingsTotal) }));
    }
    histNote.textContent = parts.join(' ');
  }

  function renderTables() {
    // Columns follow the bands: rebuild the tables (keeping the sort) when they change.
    const bandKey = data.rollup.bands.map((b) => b.minutes).join(',');
    if (!communityTable || communityTable.bandKey !== bandKey) {
      const prev = { c: communityTable?.sortState?.(), g: gridTable?.sortState?.() };
      communityTable = sortableTable({
        id: 'cov-communities', columns: communityColumns(), rowKey: (u) => u.id,
        onRow: (u) => pick('community', u.id, false), sort: prev.c ?? null, empty: () => t('cov.table.empty'),
      });
      communityTable.bandKey = bandKey;
      gridTable = sortableTable({
        id: 'cov-grids', columns: gridColumns(), rowKey: (u) => u.id,
        onRow: (u) => pick('grid', u.id, false), sort: prev.g ?? null, empty: () => t('cov.table.empty'),
      });
      gridTable.bandKey = bandKey;
      fill(communityTableSlot, communityTable.el);
      fill(gridTableSlot, gridTable.el);
    }
    communityTable.update(data.rollup.communities);
    gridTable.update(data.rollup.grids);
    if (selected) (selected.kind === 'grid' ? gridTable : communityTable).select(selected.id);
  }

  function renderSiting() {
    siteButton.disabled = !canSite || siting?.status === 'busy' || !data;
    kInput.disabled = !canSite;
    siteParams.textContent = t('cov.siting.params', { m: fmtMinutes(q.minutes), tier: tierName(q.tier) });
    if (!canSite) {
      fill(siteResult, h('p', { class: 'message error' }, t('cov.siting.forbidden')));
      return;
    }
    if (!siting) {
      fill(siteResult);
      return;
    }
    if (siting.status === 'busy') {
      fill(siteResult, h('p', { class: 'cov-status busy' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('cov.siting.busy', { k: int(siting.k) })));
      return;
    }
    if (siting.status === 'error') {
      fill(siteResult, h('p', { class: 'message error', role: 'alert' }, siting.error));
      return;
    }
    const res = siting.result;
    const o = data.rollup.overall;
    const gain = res.sites.reduce((a, s) => a + s.gain_households, 0);
    const before = share(o.within_households[o.within_households.length - 1] ?? 0, o.households);
    const after = share((o.within_households[o.within_households.length - 1] ?? 0) + gain, o.households);
    fill(siteResult,
      h('p', { class: 'cov-site-summary', id: 'cov-site-summary' }, res.sites.length
        ? t('cov.siting.summary', { n: int(res.sites.length), h: int(gain), before: pct(before), after: pct(after) })
        : t('cov.siting.none')),
      res.sites.length < siting.k && res.sites.length ? h('p', { class: 'note' }, t('cov.siting.fewer', { k: int(siting.k), n: int(res.sites.length) })) : null,
      h('ol', { class: 'cov-sites', id: 'cov-sites' }, res.sites.map((s, i) => h('li', {
        dataset: { rank: i + 1, gain: s.gain_households }, tabindex: 0,
        onclick: () => { map.flyTo({ center: s.point, zoom: Math.max(map.getZoom(), 15.5) }); sitePopup(i); },
        onkeydown: (e) => { if (e.key === 'Enter') { map.flyTo({ center: s.point, zoom: Math.max(map.getZoom(), 15.5) }); sitePopup(i); } },
      },
      h('span', { class: 'site-rank', style: `background:${SITE}` }, int(i + 1)),
      h('span', { class: 'site-body' },
        h('strong', { class: 'site-gain' }, t('cov.site.gain.h', { h: int(s.gain_households) })),
        h('span', { class: 'site-meta' }, t('cov.site.meta', {
          b: int(s.gain_buildings), where: s.source.kind === 'building' ? t('cov.site.atbuilding', { id: s.source.id }) : t('cov.site.atstreet'),
          lon: fixed(s.point[0], 5), lat: fixed(s.point[1], 5),
        })))))),
      h('p', { class: 'note' }, t('cov.siting.note', { c: int(res.candidates_considered), u: int(res.uncovered_households) })));
  }

  function renderLegend() {
    const bands = data?.rollup.bands ?? defaultBands(q.minutes);
    let lower = 0;
    const rows = bands.map((b, j) => {
      const label = lower === 0 ? t('cov.band.within', { m: fmtMinutes(b.minutes) }) : t('cov.band.between', { a: int(lower), m: fmtMinutes(b.minutes) });
      lower = b.minutes;
      return [bandColour(j, bands.length), label];
    });
    legend.setAttribute('aria-label', t('cov.legend.title'));
    rows.push([UNCOVERED, t('cov.legend.beyond', { m: fmtMinutes(q.minutes) })], [UNREACHABLE, t('cov.legend.unreachable')]);
    fill(legend,
      h('h3', {}, t('cov.legend.title')),
      h('ul', {}, rows.map(([c, l]) => h('li', {}, h('span', { class: 'swatch', style: `background:${c}` }), l))),
      h('ul', { class: 'legend-stations' },
        ['centre', 'station', 'point'].map((tier) => h('li', { class: q.tier === 'all' || q.tier === tier ? null : 'dim' },
          h('span', { class: `tier-dot ${tier}` }), tierName(tier))),
        siting?.result?.sites.length ? h('li', {}, h('span', { class: 'site-dot', style: `background:${SITE}` }), t('cov.legend.site')) : null),
      h('p', { class: 'note' }, t('cov.legend.zoom')));
  }

  function render() {
    translate(panel);
    renderControls();
    renderStatus();
    showTab(activeTab);
    renderLegend();
    renderSiting();
    if (!data) return;
    renderHeadline();
    renderTierTable();
    renderCompliance();
    renderCharts();
    renderTables();
    noteEl.textContent = [
      data.rollup.estimate_note ? t('cov.estimated', { n: int(data.rollup.overall.estimated_buildings) }) : null,
      t('cov.method', { speed: fixed(data.rollup.speed_m_s, 1), detour: fixed(data.rollup.detour_factor, 1) }),
    ].filter(Boolean).join(' ');
  }

  /** Select a community or grid: outline it, zoom to it, highlight its row. */
  function pick(kind, id, showRow = true) {
    selected = { kind, id };
    layers.select(kind, id);
    const box = (kind === 'grid' ? compliance?.grids : compliance?.communities)?.find((x) => x.id === id)?.bbox;
    zoomTo(box);
    if (showRow) {
      showTab(kind === 'grid' ? 'grids' : 'communities');
      const table = kind === 'grid' ? gridTable : communityTable;
      table?.select(id);
      table?.table.querySelector(`tr[data-id="${id}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  function exportCsv(which) {
    const table = which === 'grids' ? gridTable : communityTable;
    if (!table) return;
    const tier = q.tier === 'all' ? 'all' : q.tier;
    download(`coverage-${which}-${q.minutes}min-${tier}.csv`, table.csv());
  }

  function noAccess() {
    fill(panel,
      h('h1', {}, t('cov.title')),
      h('p', { class: 'message error', id: 'cov-forbidden', role: 'alert' }, t('cov.forbidden', { role: t(`role.${me.role}`), user: me.user })),
      h('button', { type: 'button', class: 'button', onclick: () => logout().then(() => location.reload()) }, t('cov.signin.other')));
    panel.classList.add('cov-noaccess');
    legend.remove();
    main.classList.remove('cov-on', 'cov-wide');
    if (mapReady) {
      layers.hide();
      map.setPadding({ top: 0, bottom: 0, left: 0, right: 0 });
    }
    hook.state = 'forbidden';
  }

  window.addEventListener('langchange', () => {
    if (hook.state === 'forbidden') {
      noAccess();
      return;
    }
    render();
    drawMap();
  });

  render();
  load();
}

function tierName(tier) {
  return tier === 'all' ? t('cov.tier.all') : t(`tier.${tier}`);
}

/** No counted station is reachable from any building (e.g. no station of that tier). */
function noStation(tally) {
  return tally.buildings > 0 && tally.unreachable_buildings === tally.buildings;
}

function defaultBands(minutes) {
  return [5, 10, 15].filter((m) => m < minutes).concat([minutes]).map((m) => ({ minutes: m }));
}

function union(boxes) {
  const b = boxes.filter(Boolean);
  if (!b.length) return null;
  return [Math.min(...b.map((x) => x[0])), Math.min(...b.map((x) => x[1])), Math.max(...b.map((x) => x[2])), Math.max(...b.map((x) => x[3]))];
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    }, { once: true });
  });
}
