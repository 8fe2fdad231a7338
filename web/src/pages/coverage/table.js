// A sortable table (click a column header: ascending, again: descending;
// `aria-sort` says which), rows that zoom the map when clicked or entered,
// and its CSV export (UTF-8 with a BOM so Excel reads the Chinese).

import { h, fill } from '../../dom.js';
import { lang, t } from '../../i18n.js';

/**
 * columns: [{ key, label: () => text, value: (row) => number|string|null,
 *             text?: (row) => shown text, csv?: (row) => cell, numeric?: bool }]
 * Values that are null sort last in both directions.
 */
export function sortableTable({ id, columns, rowKey, onRow, sort = null, empty = () => '' }) {
  let rows = [];
  let by = sort; // { key, dir: 'asc' | 'desc' }
  let selected = null;
  const head = h('thead');
  const body = h('tbody');
  const table = h('table', { class: 'cov-table', id }, head, body);
  const wrap = h('div', { class: 'cov-table-wrap' }, table);

  function sorted() {
    const col = columns.find((c) => c.key === by?.key);
    if (!col) return rows;
    const collator = new Intl.Collator(lang(), { numeric: true });
    const sign = by.dir === 'desc' ? -1 : 1;
    return rows
      .map((row, i) => ({ row, i, v: col.value(row) }))
      .sort((a, b) => {
        const an = a.v === null || a.v === undefined;
        const bn = b.v === null || b.v === undefined;
        if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1;
        const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v));
        return c === 0 ? a.i - b.i : sign * c;
      })
      .map((x) => x.row);
  }

  function renderHead() {
    fill(head, h('tr', {}, columns.map((c) => {
      const dir = by?.key === c.key ? by.dir : null;
      return h('th', {
        scope: 'col', class: c.numeric ? 'num' : null, 'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none',
        dataset: { key: c.key },
      }, h('button', {
        type: 'button', class: 'sort',
        title: t('cov.table.sort'),
        onclick: () => {
          by = by?.key === c.key ? { key: c.key, dir: by.dir === 'asc' ? 'desc' : 'asc' } : { key: c.key, dir: c.numeric ? 'desc' : 'asc' };
          render();
        },
      }, c.label(), h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕')));
    })));
  }

  function renderBody() {
    const list = sorted();
    if (!list.length) {
      fill(body, h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty())));
      return;
    }
    fill(body, list.map((row) => {
      const k = rowKey(row);
      return h('tr', {
        tabindex: 0, dataset: { id: k }, class: k === selected ? 'selected' : null,
        onclick: () => choose(row),
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(row); } },
      }, columns.map((c) => {
        const v = c.value(row);
        return h('td', {
          class: [c.numeric ? 'num' : null, c.cls?.(row)].filter(Boolean).join(' ') || null,
          dataset: { key: c.key, value: v === null || v === undefined ? '' : String(v) },
        }, c.text ? c.text(row) : v ?? '—');
      }));
    }));
  }

  function choose(row) {
    selected = rowKey(row);
    for (const tr of body.querySelectorAll('tr.selected')) tr.classList.remove('selected');
    body.querySelector(`tr[data-id="${CSS.escape(String(selected))}"]`)?.classList.add('selected');
    onRow?.(row);
  }

  function render() {
    renderHead();
    renderBody();
  }

  return {
    el: wrap,
    table,
    /** New rows (the sort stays). */
    update(next) {
      rows = next;
      render();
    },
    /** Redraw (language change). */
    render,
    /** The current sort ({key, dir}) or null. */
    sortState: () => by,
    select(key) {
      selected = key;
      renderBody();
    },
    /** The table as CSV text, in the order shown. */
    csv() {
      const lines = [columns.map((c) => c.label())];
      for (const row of sorted()) lines.push(columns.map((c) => (c.csv ? c.csv(row) : c.value(row))));
      return `\ufeff${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
    },
  };
}

function csvCell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Save text as a file (a Blob download; nothing leaves the page). */
export function download(filename, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
