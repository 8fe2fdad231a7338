// The planner's side panel: community and plan pickers, the plan's actions
// (undo/redo, publish, export), tools, the notice line, and four tabs:
// grids (list, active grid's details and people), checks (validation),
// automatic partition, and compare. Every string through t(); each part
// re-renders from the planner's state on change and on language switch.

import { h, fill } from '../../dom.js';
import { num, t, translate } from '../../i18n.js';
import { exportUrl } from './api.js';
import { STATUS_COLOURS, gridColour } from './geo.js';

const TOOLS = ['select', 'lasso', 'brush', 'line', 'polygon'];
const TABS = ['grids', 'checks', 'auto', 'compare'];
const ROLES = ['grid_leader', 'grid_worker', 'building_steward'];

export function sidePanel(S, on) {
  const gridBy = (key) => S.grids.find((g) => g.key === key);
  const editable = () => S.plan?.status === 'draft' && Boolean(S.community?.can_edit);

  // ---- head: pickers and actions -------------------------------------------
  const community = h('select', { id: 'plan-community', onchange: () => on.community(Number(community.value)) });
  const planSelect = h('select', { id: 'plan-select', onchange: () => on.plan(Number(planSelect.value)) });
  const newName = h('input', { id: 'plan-new-name', required: true, maxlength: 80, 'data-i18n-placeholder': 'plan.new.name' });
  const newFrom = h('select', { id: 'plan-new-from' });
  const createForm = h('form', {
    class: 'plan-create', id: 'plan-create', hidden: true,
    onsubmit: (e) => {
      e.preventDefault();
      const name = newName.value.trim();
      if (name) on.create(name, newFrom.value ? Number(newFrom.value) : null);
    },
  },
  h('label', { for: 'plan-new-name', 'data-i18n': 'plan.new.name' }), newName,
  h('label', { for: 'plan-new-from', 'data-i18n': 'plan.new.from' }), newFrom,
  h('div', { class: 'plan-row' },
    h('button', { type: 'submit', class: 'btn primary', id: 'plan-new-create', 'data-i18n': 'plan.new.create' }),
    h('button', { type: 'button', class: 'btn', 'data-i18n': 'plan.cancel', onclick: () => showCreate(false) })));
  const meta = h('p', { class: 'plan-meta', id: 'plan-meta' });
  const undo = h('button', { type: 'button', class: 'btn icon', id: 'plan-undo', onclick: on.undo, 'data-i18n-title': 'plan.undo.title' },
    h('span', { 'aria-hidden': 'true' }, '↶ '), h('span', { 'data-i18n': 'plan.undo' }));
  const redo = h('button', { type: 'button', class: 'btn icon', id: 'plan-redo', onclick: on.redo, 'data-i18n-title': 'plan.redo.title' },
    h('span', { 'aria-hidden': 'true' }, '↷ '), h('span', { 'data-i18n': 'plan.redo' }));
  const publish = h('button', { type: 'button', class: 'btn primary', id: 'plan-publish', 'data-i18n': 'plan.publish', onclick: () => on.publish(false) });
  const geojson = h('a', { class: 'btn', id: 'plan-export-geojson', 'data-i18n': 'plan.export.geojson', download: '' });
  const csv = h('a', { class: 'btn', id: 'plan-export-csv', 'data-i18n': 'plan.export.csv', download: '' });
  const head = h('section', { class: 'plan-head' },
    h('div', { class: 'plan-field' }, h('label', { for: 'plan-community', 'data-i18n': 'plan.community' }), community),
    h('div', { class: 'plan-field' }, h('label', { for: 'plan-select', 'data-i18n': 'plan.plan' }),
      h('div', { class: 'plan-row' }, planSelect,
        h('button', { type: 'button', class: 'btn', id: 'plan-new', 'data-i18n': 'plan.new', onclick: () => showCreate(createForm.hidden) }))),
    createForm, meta,
    h('div', { class: 'plan-row plan-actions' }, undo, redo, publish,
      h('span', { class: 'plan-export' }, h('span', { 'data-i18n': 'plan.export' }), geojson, csv)));

  // ---- notice ---------------------------------------------------------------
  const notice = h('div', { class: 'plan-notice', id: 'plan-notice', role: 'alert', hidden: true });

  // ---- tools ----------------------------------------------------------------
  const toolButtons = TOOLS.map((name) => h('button', {
    type: 'button', class: 'tool', dataset: { tool: name }, id: `plan-tool-${name}`,
    'data-i18n': `plan.tool.${name}`, 'data-i18n-title': `plan.tool.${name}.hint`, onclick: () => on.tool(name),
  }));
  const toolHint = h('p', { class: 'plan-hint', id: 'plan-tool-hint' });
  const finish = h('button', { type: 'button', class: 'btn', id: 'plan-finish', 'data-i18n': 'plan.finish', onclick: on.finish, hidden: true });
  const selInfo = h('span', { id: 'plan-selinfo', class: 'plan-selinfo' });
  const moveBtn = h('button', { type: 'button', class: 'btn primary', id: 'plan-move', 'data-i18n': 'plan.move', onclick: on.moveSelected });
  const clearBtn = h('button', { type: 'button', class: 'btn', id: 'plan-clear', 'data-i18n': 'plan.clear', onclick: on.clearSelection });
  const tools = h('section', { class: 'plan-tools' },
    h('div', { class: 'tool-group', role: 'toolbar' }, toolButtons),
    h('div', { class: 'plan-row' }, toolHint, finish),
    h('div', { class: 'plan-row plan-selection', id: 'plan-selection', hidden: true }, selInfo, moveBtn, clearBtn));

  // ---- tabs -----------------------------------------------------------------
  const tabButtons = TABS.map((name) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `plan-tab-${name}`, dataset: { tab: name }, onclick: () => showTab(name),
  }));
  const panes = {};

  // grids
  const gridList = h('tbody', { id: 'plan-grids' });
  const addGrid = h('button', { type: 'button', class: 'btn', id: 'plan-add-grid', 'data-i18n': 'plan.grid.add', onclick: on.addGrid });
  const mergeBtn = h('button', { type: 'button', class: 'btn', id: 'plan-merge', onclick: on.merge });
  const detail = h('div', { class: 'plan-detail', id: 'plan-detail' });
  panes.grids = h('div', { class: 'plan-pane', id: 'plan-pane-grids', role: 'tabpanel' },
    h('table', { class: 'plan-table' },
      h('thead', {}, h('tr', {},
        h('th', { class: 'check', 'data-i18n-title': 'plan.grid.check' }),
        h('th', { 'data-i18n': 'plan.grid.grid' }),
        h('th', { class: 'num', 'data-i18n': 'plan.grid.households' }),
        h('th', { class: 'num', 'data-i18n': 'plan.grid.buildings' }),
        h('th', { 'data-i18n': 'plan.grid.status' }))),
      gridList),
    h('div', { class: 'plan-row' }, addGrid, mergeBtn),
    detail);

  // checks
  const checkSummary = h('p', { class: 'plan-summary', id: 'plan-check-summary' });
  const breakList = h('ul', { class: 'plan-breaks', id: 'plan-breaks' });
  panes.checks = h('div', { class: 'plan-pane', id: 'plan-pane-checks', role: 'tabpanel' },
    h('div', { class: 'plan-row' }, checkSummary,
      h('button', { type: 'button', class: 'btn', id: 'plan-validate', 'data-i18n': 'plan.check.run', onclick: on.validate })),
    breakList);

  // automatic partition
  const mode = h('select', { id: 'plan-auto-mode' },
    h('option', { value: 'rebalance', 'data-i18n': 'plan.auto.rebalance' }),
    h('option', { value: 'fresh', 'data-i18n': 'plan.auto.fresh' }));
  const numInput = (id) => h('input', { id, type: 'number', min: 1, step: 1, required: true, inputmode: 'numeric' });
  const minIn = numInput('plan-auto-min');
  const maxIn = numInput('plan-auto-max');
  const targetIn = numInput('plan-auto-target');
  const seedIn = h('input', { id: 'plan-auto-seed', type: 'number', min: 0, step: 1, value: 0 });
  const onlyChecked = h('input', { id: 'plan-auto-checked', type: 'checkbox' });
  const report = h('div', { class: 'plan-report', id: 'plan-report' });
  const autoForm = h('form', {
    class: 'plan-auto', id: 'plan-auto',
    onsubmit: (e) => {
      e.preventDefault();
      const rules = {
        ...(S.rules ?? {}),
        min_households: Number(minIn.value), max_households: Number(maxIn.value), target_households: Number(targetIn.value),
      };
      on.partition({ mode: mode.value, seed: Number(seedIn.value) || 0, rules, onlyChecked: onlyChecked.checked });
    },
  },
  h('p', { class: 'plan-hint', 'data-i18n': 'plan.auto.text' }),
  h('div', { class: 'plan-grid3' },
    h('label', { for: 'plan-auto-mode', 'data-i18n': 'plan.auto.mode' }), mode,
    h('label', { for: 'plan-auto-min', 'data-i18n': 'plan.auto.min' }), minIn,
    h('label', { for: 'plan-auto-max', 'data-i18n': 'plan.auto.max' }), maxIn,
    h('label', { for: 'plan-auto-target', 'data-i18n': 'plan.auto.target' }), targetIn,
    h('label', { for: 'plan-auto-seed', 'data-i18n': 'plan.auto.seed' }), seedIn),
  h('label', { class: 'plan-check' }, onlyChecked, h('span', { 'data-i18n': 'plan.auto.onlychecked' })),
  h('button', { type: 'submit', class: 'btn primary', id: 'plan-auto-run', 'data-i18n': 'plan.auto.run' }));
  panes.auto = h('div', { class: 'plan-pane', id: 'plan-pane-auto', role: 'tabpanel' }, autoForm, report);

  // compare
  const other = h('select', { id: 'plan-compare-with' });
  const diffBox = h('div', { class: 'plan-diff', id: 'plan-diff' });
  panes.compare = h('div', { class: 'plan-pane', id: 'plan-pane-compare', role: 'tabpanel' },
    h('p', { class: 'plan-hint', 'data-i18n': 'plan.compare.text' }),
    h('div', { class: 'plan-row' }, other,
      h('button', { type: 'button', class: 'btn primary', id: 'plan-compare', 'data-i18n': 'plan.compare.run', onclick: () => on.compare(Number(other.value)) })),
    diffBox);

  const el = h('aside', { class: 'panel plan-side', 'aria-label': 'plan' },
    head, notice, tools,
    h('nav', { class: 'plan-tabs', role: 'tablist' }, tabButtons),
    Object.values(panes));

  const legend = h('div', { class: 'plan-legend', id: 'plan-legend' });

  // ---- renderers ------------------------------------------------------------
  function renderCommunities() {
    fill(community, S.communities.map((c) => h('option', { value: c.id, selected: c.id === S.community?.id }, `${c.name}（${c.code}）`)));
    if (S.community) community.value = String(S.community.id);
  }

  const planLabel = (p) => `${p.name} · ${t(`plan.status.${p.status}`)} · v${p.version}`;

  function renderHead() {
    fill(planSelect, S.plans.map((p) => h('option', { value: p.id }, planLabel(p))));
    planSelect.disabled = !S.plans.length;
    if (S.plan) planSelect.value = String(S.plan.id);
    fill(newFrom, h('option', { value: '' }, t('plan.new.published')),
      S.plans.map((p) => h('option', { value: p.id }, t('plan.new.copy', { name: p.name, version: p.version }))));
    if (S.plan?.status) {
      const busy = S.busy > 0;
      fill(meta,
        h('span', { class: `badge ${S.plan.status}` }, t(`plan.status.${S.plan.status}`)),
        ' ', t('plan.meta', { version: S.version, grids: S.grids.length, author: S.plan.created_by.replace(/^user:/, '') }),
        busy ? h('span', { class: 'plan-saving', id: 'plan-saving' }, t('plan.saving')) : null);
    } else {
      fill(meta);
    }
    const can = editable();
    undo.disabled = !can || !S.canUndo;
    redo.disabled = !can || !S.canRedo;
    publish.disabled = !can;
    for (const [a, ext] of [[geojson, 'geojson'], [csv, 'csv']]) {
      if (S.plan?.id) a.href = exportUrl(S.plan.id, ext); else a.removeAttribute('href');
    }
  }

  function renderNotice() {
    const n = S.notice;
    if (!n) {
      notice.hidden = true;
      fill(notice);
      return;
    }
    notice.hidden = false;
    notice.className = `plan-notice ${n.kind}`;
    const what = n.what ? t(n.what.key, n.what.vars ?? {}) : '';
    // Field names (`fields: ['name', 'people']`) are words of the current language.
    const sep = document.documentElement.lang === 'zh-CN' ? '、' : ', ';
    const vars = (v = {}) => (Array.isArray(v.fields) ? { ...v, fields: v.fields.map((f) => t(`plan.field.${f}`)).join(sep) } : v);
    let reasonBox = null;
    if (n.reason) {
      reasonBox = h('textarea', {
        id: 'plan-base-reason', rows: 2, maxlength: 500, required: true, placeholder: t('plan.base.reason.placeholder'),
        'aria-label': t('plan.base.reason'),
      });
    }
    fill(notice,
      h('p', {}, t(n.key, { ...n.vars, what })),
      n.lines?.length ? h('ul', { class: 'plan-notice-lines', id: 'plan-notice-lines' },
        n.lines.map((l) => h('li', {}, t(l.key, vars(l.vars))))) : null,
      n.after ? h('p', {}, t(n.after)) : null,
      n.kind === 'stale' || (n.kind === 'error' && n.what) ? h('p', { class: 'plan-lost' }, t('plan.notsaved', { what })) : null,
      reasonBox ? h('form', {
        class: 'plan-reason', id: 'plan-base-reason-form',
        onsubmit: (e) => {
          e.preventDefault();
          const reason = reasonBox.value.trim();
          if (!reason) { reasonBox.focus(); reasonBox.setCustomValidity(t('plan.base.reason.required')); reasonBox.reportValidity(); return; }
          n.onReason?.(reason);
        },
      },
      h('label', { for: 'plan-base-reason' }, t('plan.base.reason')), reasonBox,
      h('button', { type: 'submit', class: 'btn primary', id: 'plan-base-confirm' }, t('plan.base.confirm'))) : null,
      h('div', { class: 'plan-row' },
        (n.actions ?? []).map((a) => h('button', { type: 'button', class: 'btn', id: a.id ?? null, onclick: a.run }, t(a.key))),
        h('button', { type: 'button', class: 'link close', 'aria-label': t('plan.dismiss'), onclick: on.dismiss }, t('plan.dismiss'))));
    if (reasonBox) {
      reasonBox.addEventListener('input', () => reasonBox.setCustomValidity(''));
      reasonBox.focus();
    }
  }

  function renderTools() {
    for (const b of toolButtons) {
      const on2 = b.dataset.tool === S.tool;
      b.classList.toggle('active', on2);
      b.setAttribute('aria-pressed', on2 ? 'true' : 'false');
    }
    toolHint.textContent = t(`plan.tool.${S.tool}.hint`);
    finish.hidden = S.tool !== 'line' && S.tool !== 'polygon';
  }

  function renderSelection() {
    const n = S.selection.size;
    let hh = 0;
    for (const id of S.selection) hh += S.households.get(id) ?? 0;
    tools.querySelector('#plan-selection').hidden = n === 0;
    selInfo.textContent = t('plan.selected', { n: num(n), households: num(hh) });
    const g = gridBy(S.active);
    moveBtn.textContent = g ? t('plan.move.to', { grid: `${g.code.slice(-3)} ${g.name}` }) : t('plan.move');
    moveBtn.disabled = !editable() || !g || g.locked;
  }

  function statusBadge(status) {
    return h('span', { class: `status ${status}` }, t(`plan.status.grid.${status}`));
  }

  let shownActive = null;
  function renderGrids() {
    fill(gridList, S.grids.map((g) => {
      const box = h('input', {
        type: 'checkbox', checked: S.checked.has(g.key), 'aria-label': t('plan.grid.check'),
        onclick: (e) => e.stopPropagation(), onchange: (e) => on.check(g.key, e.target.checked),
      });
      return h('tr', {
        class: g.key === S.active ? 'active' : null, dataset: { key: g.key, code: g.code }, tabindex: 0,
        onclick: () => on.activate(g.key),
        onkeydown: (e) => { if (e.key === 'Enter') on.activate(g.key); },
      },
      h('td', { class: 'check' }, box),
      h('td', { class: 'plan-gname' },
        h('span', { class: 'swatch', style: `background:${gridColour(g.key)}` }),
        h('span', { class: 'code' }, g.code.slice(-3)), ' ', g.name,
        g.locked ? h('span', { class: 'lock', title: t('plan.grid.locked') }, ` 🔒`) : null,
        g.kind === 'dedicated' ? h('span', { class: 'tag' }, t('plan.grid.dedicated')) : null),
      h('td', { class: 'num households' }, num(g.households)),
      h('td', { class: 'num buildings' }, num(g.buildings)),
      h('td', {}, statusBadge(g.status)));
    }));
    if (S.active !== shownActive) {
      shownActive = S.active;
      gridList.querySelector('tr.active')?.scrollIntoView({ block: 'nearest' });
    }
    mergeBtn.textContent = t('plan.grid.merge', { n: S.checked.size });
    mergeBtn.disabled = !editable() || S.checked.size < 2;
    addGrid.disabled = !editable();
    renderSelection();
    renderDetail();
  }

  let detailFor = null;
  function renderDetail(force = false) {
    const g = gridBy(S.active);
    const stamp = g ? `${g.key}@${S.version}` : null;
    if (!force && stamp === detailFor) return;
    detailFor = stamp;
    if (!g) {
      fill(detail, h('p', { class: 'plan-hint' }, t('plan.grid.pick')));
      return;
    }
    const can = editable();
    const name = h('input', { id: 'plan-grid-name', value: g.name, maxlength: 60, disabled: !can });
    const code = h('input', { id: 'plan-grid-code', value: g.code, maxlength: 15, inputmode: 'numeric', disabled: !can });
    const kind = h('select', { id: 'plan-grid-kind', disabled: !can, onchange: () => on.kind(g.key, kind.value) },
      ['basic', 'dedicated'].map((k) => h('option', { value: k, selected: g.kind === k }, t(`plan.kind.${k}`))));
    const people = (S.people.get(g.key) ?? []).map((p) => ({ ...p }));
    const rows = h('div', { class: 'plan-people', id: 'plan-people' });
    const drawPeople = () => fill(rows, people.map((p, i) => h('div', { class: 'person' },
      h('input', { value: p.name, 'aria-label': t('plan.people.name'), placeholder: t('plan.people.name'), disabled: !can,
        oninput: (e) => { p.name = e.target.value; } }),
      h('select', { 'aria-label': t('plan.people.role'), disabled: !can, onchange: (e) => { p.role = e.target.value; } },
        ROLES.map((r) => h('option', { value: r, selected: p.role === r }, t(`role.${r}`)))),
      h('input', { value: p.phone ?? '', type: 'tel', 'aria-label': t('plan.people.phone'), placeholder: t('plan.people.phone'), disabled: !can,
        oninput: (e) => { p.phone = e.target.value; } }),
      h('button', { type: 'button', class: 'link', disabled: !can, 'aria-label': t('plan.people.remove'), title: t('plan.people.remove'),
        onclick: () => { people.splice(i, 1); drawPeople(); } }, '×'))));
    drawPeople();
    fill(detail,
      h('h3', {}, t('plan.grid.detail', { code: g.code })),
      h('form', { class: 'plan-grid3', onsubmit: (e) => { e.preventDefault(); } },
        h('label', { for: 'plan-grid-name' }, t('plan.grid.name')),
        h('div', { class: 'plan-row' }, name, h('button', { type: 'button', class: 'btn', id: 'plan-grid-rename', disabled: !can,
          onclick: () => name.value.trim() && on.rename(g.key, name.value.trim()) }, t('plan.save'))),
        h('label', { for: 'plan-grid-code' }, t('plan.grid.code')),
        h('div', { class: 'plan-row' }, code, h('button', { type: 'button', class: 'btn', id: 'plan-grid-recode', disabled: !can,
          onclick: () => code.value.trim() && on.recode(g.key, code.value.trim()) }, t('plan.save'))),
        h('label', { for: 'plan-grid-kind' }, t('plan.grid.kind')), kind),
      h('div', { class: 'plan-row' },
        h('button', { type: 'button', class: 'btn', id: 'plan-grid-lock', disabled: !can, onclick: () => on.lock(g.key, !g.locked) },
          t(g.locked ? 'plan.grid.unlock' : 'plan.grid.lock')),
        h('span', { class: 'plan-hint' }, t(g.locked ? 'plan.grid.locked.text' : 'plan.grid.unlocked.text'))),
      h('h4', {}, t('plan.people')), rows,
      h('div', { class: 'plan-row' },
        h('button', { type: 'button', class: 'btn', disabled: !can, id: 'plan-people-add',
          onclick: () => { people.push({ name: '', role: 'grid_worker', phone: '' }); drawPeople(); } }, t('plan.people.add')),
        h('button', { type: 'button', class: 'btn primary', disabled: !can, id: 'plan-people-save',
          onclick: () => on.people(g.key, people.filter((p) => p.name.trim()).map((p) => ({
            name: p.name.trim(), role: p.role, phone: p.phone?.trim() ? p.phone.trim() : null }))) }, t('plan.people.save'))));
  }

  function renderBreaks() {
    const c = S.breaks;
    tabButtons[1].textContent = c && !c.clean ? t('plan.tab.checks.n', { n: c.breaks.length }) : t('plan.tab.checks');
    tabButtons[1].classList.toggle('warn', Boolean(c && !c.clean));
    if (!c) {
      checkSummary.textContent = '';
      fill(breakList);
      return;
    }
    checkSummary.textContent = c.clean ? t('plan.check.clean', { version: c.version })
      : t('plan.check.count', { n: c.breaks.length, version: c.version });
    const zh = document.documentElement.lang === 'zh-CN';
    fill(breakList, c.breaks.map((b) => h('li', {},
      h('button', { type: 'button', class: `break ${b.kind}`, dataset: { kind: b.kind }, onclick: () => on.showBreak(b) },
        h('span', { class: 'break-kind' }, t(`plan.break.${b.kind}`) === `plan.break.${b.kind}` ? b.kind : t(`plan.break.${b.kind}`)),
        h('span', { class: 'break-message' }, zh ? b.message_zh : b.message)))));
  }

  function renderReport() {
    const r = S.report;
    if (!r) { fill(report); return; }
    const row = (key, value) => [h('dt', {}, t(key)), h('dd', {}, value)];
    fill(report,
      h('h3', {}, t('plan.report.title')),
      h('dl', {},
        row('plan.report.grids', t('plan.report.gridsv', { grids: num(r.grids), redrawn: num(r.grids_redrawn), bound: num(r.grids_lower_bound) })),
        row('plan.report.households', t('plan.report.householdsv', { min: num(r.households_min), mean: num(r.households_mean, 1), max: num(r.households_max) })),
        row('plan.report.moved', num(r.buildings_moved)),
        row('plan.report.compactness', r.compactness === null || r.compactness === undefined ? '—' : num(r.compactness, 2)),
        row('plan.report.barriers', t('plan.report.barriersv', { on: num(r.boundary_edges_on_barriers * 100, 0), all: num(r.all_edges_on_barriers * 100, 0) })),
        row('plan.report.violations', num(r.violations))),
      r.relaxed?.length ? [
        h('h4', {}, t('plan.report.relaxed')),
        h('ul', { class: 'plan-relaxed', id: 'plan-relaxed' }, r.relaxed.map((x) => h('li', { dataset: { kind: x.reason.kind } },
          t(`plan.relaxed.${x.reason.kind}`, { ...x.reason, households: num(x.reason.households), n: num(x.buildings.length), grids: num(x.grids) })))),
      ] : [],
      h('p', { class: 'plan-hint' }, t('plan.report.draft')));
  }

  function renderDiff() {
    fill(other, S.plans.filter((p) => p.id !== S.plan?.id).map((p) => h('option', { value: p.id }, planLabel(p))));
    other.disabled = !other.options.length;
    panes.compare.querySelector('#plan-compare').disabled = !other.options.length;
    const d = S.diff;
    if (!d) { fill(diffBox); return; }
    const plan = (id) => S.plans.find((p) => p.id === id)?.name ?? `#${id}`;
    const codes = (list) => list.map((g) => g.code ?? `#${g.key}`).join('、') || '—';
    fill(diffBox,
      h('h3', {}, t('plan.compare.title', { a: plan(d.a.id), b: plan(d.b.id) })),
      h('dl', {},
        h('dt', {}, t('plan.compare.buildings')), h('dd', { id: 'plan-diff-buildings' }, num(d.buildings_moved)),
        h('dt', {}, t('plan.compare.households')), h('dd', { id: 'plan-diff-households' }, num(d.households_moved)),
        h('dt', {}, t('plan.compare.added')), h('dd', {}, codes(d.grids_added)),
        h('dt', {}, t('plan.compare.removed')), h('dd', {}, codes(d.grids_removed)),
        h('dt', {}, t('plan.compare.changed')), h('dd', {}, num(d.grids_changed?.length ?? 0))),
      d.moved.length ? h('ul', { class: 'plan-moves' }, d.moved.slice(0, 50).map((m) => h('li', {},
        t('plan.compare.move', { building: S.names.get(m.building) ?? `#${m.building}`, from: m.from_code ?? '—', to: m.to_code ?? '—' })))) : h('p', { class: 'plan-hint' }, t('plan.compare.same')),
      d.moved.length > 50 ? h('p', { class: 'plan-hint' }, t('plan.compare.more', { n: d.moved.length - 50 })) : null,
      h('button', { type: 'button', class: 'btn', id: 'plan-compare-clear', onclick: on.clearCompare }, t('plan.compare.clear')));
  }

  function renderAuto() {
    if (!S.rules) return;
    if (document.activeElement?.closest?.('#plan-auto')) return;
    minIn.value = S.rules.min_households;
    maxIn.value = S.rules.max_households;
    targetIn.value = S.rules.target_households;
  }

  function renderLegend() {
    fill(legend, ['under', 'ok', 'over', 'exempt'].map((s) => h('span', { class: 'legend-item' },
      h('span', { class: 'swatch', style: `background:${STATUS_COLOURS[s]}` }),
      S.rules && s !== 'exempt' ? t(`plan.legend.${s}`, { min: num(S.rules.min_households), max: num(S.rules.max_households) })
        : t(`plan.status.grid.${s}`))));
  }

  function showTab(name) {
    S.tab = name;
    for (const b of tabButtons) {
      b.classList.toggle('active', b.dataset.tab === name);
      b.setAttribute('aria-selected', b.dataset.tab === name ? 'true' : 'false');
    }
    for (const [k, p] of Object.entries(panes)) p.hidden = k !== name;
    // Other planners may have made plans since: list them afresh for comparing.
    if (name === 'compare') on.reloadPlans?.();
  }

  function showCreate(show) {
    createForm.hidden = !show;
    if (show) {
      renderHead();
      newName.value = t('plan.new.default', { date: new Date().toLocaleDateString(document.documentElement.lang) });
      newName.focus();
    }
  }

  function renderAll() {
    translate(el);
    for (const b of tabButtons) if (b.dataset.tab !== 'checks') b.textContent = t(`plan.tab.${b.dataset.tab}`);
    renderCommunities();
    renderHead();
    renderNotice();
    renderTools();
    renderGrids();
    renderDetail(true);
    renderBreaks();
    renderReport();
    renderDiff();
    renderAuto();
    renderLegend();
    showTab(S.tab);
  }

  renderAll();
  return {
    el, legend, renderAll, renderHead, renderNotice, renderTools, renderSelection, renderGrids, renderBreaks,
    renderReport, renderDiff, showTab, showCreate, renderCommunities,
  };
}
