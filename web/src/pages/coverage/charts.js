// Charts drawn by hand in SVG: coverage per community (stacked bars by
// walking band) and the distribution of households' walking minutes.

import { t } from '../../i18n.js';
import { int, minutes as fmtMinutes, pct, share } from './format.js';
import { bandColour, UNCOVERED, UNREACHABLE } from './layers.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const title = (text) => s('title', {}, text);

function clip(name, max) {
  const chars = [...name];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : name;
}

/**
 * Horizontal 100% bars, one per unit: households within each band, then
 * the uncovered rest. Sorted by coverage, best first; units without
 * households at the end, labelled so.
 */
export function communityBars(units, bands, { onPick } = {}) {
  const W = 540;
  const LABEL = 150;
  const BAR = 300;
  const ROW = 26;
  const TOP = 22;
  const list = [...units].sort((a, b) => (b.covered_pct ?? -1) - (a.covered_pct ?? -1));
  const H = TOP + list.length * ROW + 6;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', id: 'cov-bars',
    'aria-label': t('cov.chart.bars.aria', { n: list.length }),
  });
  for (const p of [0, 50, 100]) {
    const x = LABEL + (BAR * p) / 100;
    svg.append(s('line', { x1: x, x2: x, y1: TOP - 4, y2: H - 4, class: 'grid-line' }),
      s('text', { x, y: TOP - 8, 'text-anchor': 'middle', class: 'axis' }, pct(p).replace(/[.,]0(?=\D*$)/, '')));
  }
  list.forEach((u, i) => {
    const y = TOP + i * ROW;
    const g = s('g', { class: 'bar-row', 'data-id': u.id, tabindex: onPick ? 0 : null });
    g.append(s('text', { x: LABEL - 8, y: y + ROW / 2 + 4, 'text-anchor': 'end', class: 'label' }, clip(u.name, 9), title(u.name)));
    if (!u.households) {
      g.append(s('text', { x: LABEL + 4, y: y + ROW / 2 + 4, class: 'muted' }, t('cov.nohouseholds')));
    } else {
      let x = LABEL;
      let prev = 0;
      bands.forEach((b, j) => {
        const within = u.within_households[j] ?? prev;
        const part = within - prev;
        prev = within;
        if (part <= 0) return;
        const w = (BAR * part) / u.households;
        g.append(s('rect', { x, y: y + 4, width: w, height: ROW - 8, fill: bandColour(j, bands.length) },
          title(`${u.name} · ${t('cov.band.within', { m: fmtMinutes(b.minutes) })}: ${t('cov.households.n', { n: int(part) })} (${pct(share(part, u.households))})`)));
        x += w;
      });
      const rest = u.households - prev;
      if (rest > 0) {
        g.append(s('rect', { x, y: y + 4, width: (BAR * rest) / u.households, height: ROW - 8, fill: UNCOVERED, class: 'uncovered' },
          title(`${u.name} · ${t('cov.uncovered')}: ${t('cov.households.n', { n: int(rest) })} (${pct(share(rest, u.households))})`)));
      }
      g.append(s('text', { x: LABEL + BAR + 8, y: y + ROW / 2 + 4, class: 'value' }, pct(u.covered_pct)));
    }
    if (onPick) {
      g.addEventListener('click', () => onPick(u));
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter') onPick(u); });
    }
    svg.append(g);
  });
  return svg;
}

/**
 * Households by walking minutes to the nearest counted station: one bar a
 * minute up to 30 (or the limit, if higher), then "more" and "no route".
 * Bars within the limit take their band's colour.
 */
export function minutesHistogram(buildings, limit, bands) {
  const top = Math.max(30, Math.ceil(limit));
  const bins = new Array(top).fill(0);
  let over = 0;
  let none = 0;
  let total = 0;
  const weighted = [];
  for (const b of buildings) {
    const hh = b.households;
    total += hh;
    if (b.minutes === null || b.minutes === undefined || b.status === 'unreachable') {
      none += hh;
      continue;
    }
    weighted.push([b.minutes, hh]);
    if (b.minutes > top) over += hh;
    else bins[Math.max(0, Math.ceil(b.minutes) - 1)] += hh;
  }
  const W = 540;
  const H = 200;
  const L = 52;
  const R = 8;
  const T = 14;
  const B = 34;
  const n = top + 6; // minute bins, a gap, "more" (2 wide), a gap, "no route" (2 wide)
  const bw = (W - L - R) / n;
  const max = Math.max(1, ...bins, over, none);
  const step = niceStep(max / 4);
  const yMax = Math.ceil(max / step) * step;
  const y = (v) => T + (H - T - B) * (1 - v / yMax);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart histogram', role: 'img', id: 'cov-histogram',
    'aria-label': t('cov.chart.hist.aria', { total: int(total) }),
  });
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid-line' }),
      s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, int(v)));
  }
  const colourOf = (upper) => {
    if (upper > limit + 1e-9) return UNCOVERED;
    const j = bands.findIndex((b) => upper <= b.minutes + 1e-9);
    return bandColour(j < 0 ? bands.length - 1 : j, bands.length);
  };
  bins.forEach((v, i) => {
    if (!v) return;
    svg.append(s('rect', { x: L + i * bw + 0.5, y: y(v), width: bw - 1, height: y(0) - y(v), fill: colourOf(i + 1), class: 'bin' },
      title(`${fmtMinutes(i)}–${fmtMinutes(i + 1)}: ${t('cov.households.n', { n: int(v) })}`)));
  });
  const xMore = L + (top + 1) * bw;
  const xNone = L + (top + 4) * bw;
  if (over) {
    svg.append(s('rect', { x: xMore + 0.5, y: y(over), width: 2 * bw - 1, height: y(0) - y(over), fill: UNCOVERED, class: 'bin' },
      title(`${t('cov.hist.more', { m: int(top) })}: ${t('cov.households.n', { n: int(over) })}`)));
  }
  if (none) {
    svg.append(s('rect', { x: xNone + 0.5, y: y(none), width: 2 * bw - 1, height: y(0) - y(none), fill: UNREACHABLE, class: 'bin' },
      title(`${t('cov.unreachable')}: ${t('cov.households.n', { n: int(none) })}`)));
  }
  svg.append(s('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), class: 'axis-line' }));
  for (let m = 0; m <= top; m += 5) {
    svg.append(s('text', { x: L + m * bw, y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, int(m)));
  }
  svg.append(s('text', { x: xMore + bw, y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, `>${int(top)}`),
    s('text', { x: xNone + bw, y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, t('cov.hist.none')),
    s('text', { x: L + (top * bw) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis title' }, t('cov.hist.x')));
  // The limit, dashed.
  const xl = L + Math.min(limit, top) * bw;
  svg.append(s('line', { x1: xl, x2: xl, y1: T - 4, y2: y(0), class: 'limit-line' }),
    s('text', { x: xl + 4, y: T + 6, class: 'axis limit' }, fmtMinutes(limit)));
  return { svg, median: weightedMedian(weighted), total, none, over };
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** The walking minutes half the (reachable) households are within. */
function weightedMedian(pairs) {
  const total = pairs.reduce((a, [, w]) => a + w, 0);
  if (!total) return null;
  pairs.sort((a, b) => a[0] - b[0]);
  let acc = 0;
  for (const [m, w] of pairs) {
    acc += w;
    if (acc * 2 >= total) return m;
  }
  return pairs[pairs.length - 1][0];
}
