// Small geometry and colour helpers of the planner (screen-space hit tests,
// grid colours, rule status).

/** Grid colours, picked by grid key. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2',
  '#17becf', '#bcbd22', '#393b79', '#637939', '#d6616b', '#3182bd'];

/** Rule status colours (fill of grid polygons, badges in the list). */
export const STATUS_COLOURS = { under: '#e6a23c', ok: '#2e9e5b', over: '#d9412b', exempt: '#7d8a99' };

export const gridColour = (key) => (key === null || key === undefined || key < 0
  ? '#9aa3ad' : PALETTE[key % PALETTE.length]);

/** Where a grid stands against the household rules (as the server's GridSummary.status). */
export function statusOf(kind, households, rules) {
  if (kind === 'dedicated') return 'exempt';
  if (!rules) return 'ok';
  if (households < rules.min_households) return 'under';
  if (households > rules.max_households) return 'over';
  return 'ok';
}

/** Whether screen point p lies in the ring (array of {x, y}). */
export function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** [west, south, east, north] of [lon, lat] points, or null. */
export function bboxOf(points) {
  if (!points.length) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
  }
  return [w, s, e, n];
}
