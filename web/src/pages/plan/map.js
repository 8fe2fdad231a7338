// The planner's map: the plan's grid polygons (coloured by rule status, with
// household labels), its building points (coloured by grid), and the tools
// that act on them: click / shift-drag box / lasso selection, the brush that
// paints buildings into the active grid, and line / polygon sketches for
// split and draw. Counts and colours change through feature-state and
// setData on small GeoJSON sources, so a repaint costs one frame.

/* global maplibregl */

import { createMap, whenLoaded } from '../../map.js';
import { PALETTE, STATUS_COLOURS, bboxOf, inRing } from './geo.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const FONT = ['DejaVu Sans Book'];
const BRUSH_PX = 16;
const CLICK_PX = 8;

const gridValue = ['coalesce', ['feature-state', 'g'], ['get', 'grid'], -1];

/**
 * The map in `el`. `on` receives: select(ids, how: 'replace'|'add'|'toggle'),
 * activate(key), paint(ids) while brushing, paintEnd(), line(coords),
 * polygon(coords). Returns the controller the planner drives.
 */
export function planMap(el, on) {
  // The plan's sources and layers are part of the style from the start (see createMap).
  // No symbol fade: the planner's map repaints on every selection and edit,
  // and each repaint re-places the labels; with MapLibre's 300 ms fade the
  // map kept drawing frames for 230–270 ms after a selection it had painted
  // in the first (measured in plan.test.mjs).
  const map = createMap(el, { boxZoom: false, fadeDuration: 0, overlay: (style) => {
    // The published grids (and public building dots) would only confuse a draft.
    for (const id of ['grids-fill', 'grids-line', 'grids-label', 'buildings-points']) {
      style.setLayoutProperty(id, 'visibility', 'none');
    }
    const before = style.getLayer('roads-label') ? 'roads-label' : undefined;
    style.addSource('plan-boundary', { type: 'geojson', data: EMPTY });
    style.addSource('plan-grids', { type: 'geojson', data: EMPTY });
    style.addSource('plan-labels', { type: 'geojson', data: EMPTY });
    style.addSource('plan-buildings', { type: 'geojson', data: EMPTY });
    style.addSource('plan-sketch', { type: 'geojson', data: EMPTY });
    const status = ['coalesce', ['feature-state', 'status'], 'ok'];
    style.addLayer({ id: 'plan-grid-fill', type: 'fill', source: 'plan-grids',
      paint: {
        'fill-color': ['match', status, 'under', STATUS_COLOURS.under, 'over', STATUS_COLOURS.over,
          'exempt', STATUS_COLOURS.exempt, STATUS_COLOURS.ok],
        'fill-opacity': ['case', ['boolean', ['feature-state', 'active'], false], 0.32, 0.16],
      } }, before);
    style.addLayer({ id: 'plan-grid-line', type: 'line', source: 'plan-grids',
      paint: { 'line-color': '#34495e', 'line-width': 1.4, 'line-opacity': 0.8 } }, before);
    style.addLayer({ id: 'plan-grid-active', type: 'line', source: 'plan-grids', filter: ['==', ['id'], -1],
      paint: { 'line-color': '#1f4f7f', 'line-width': 3.5 } }, before);
    style.addLayer({ id: 'plan-boundary', type: 'line', source: 'plan-boundary',
      paint: { 'line-color': '#1d2733', 'line-width': 2.5, 'line-dasharray': [3, 2] } });
    style.addLayer({ id: 'plan-buildings', type: 'circle', source: 'plan-buildings',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 2.5, 16, 5, 18, 8],
        'circle-color': ['case', ['<', gridValue, 0], '#9aa3ad',
          ['to-color', ['at', ['%', gridValue, PALETTE.length], ['literal', PALETTE]]]],
        'circle-stroke-color': ['case',
          ['boolean', ['feature-state', 'sel'], false], '#111111',
          ['boolean', ['feature-state', 'changed'], false], '#e74c3c', '#ffffff'],
        'circle-stroke-width': ['case',
          ['boolean', ['feature-state', 'sel'], false], 2.5,
          ['boolean', ['feature-state', 'changed'], false], 3, 1],
      } });
    style.addLayer({ id: 'plan-labels', type: 'symbol', source: 'plan-labels',
      layout: { 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 12, 'text-allow-overlap': false,
        'text-max-width': 12 },
      paint: { 'text-color': ['get', 'colour'], 'text-halo-color': '#ffffff', 'text-halo-width': 1.8 } });
    style.addLayer({ id: 'plan-sketch-fill', type: 'fill', source: 'plan-sketch', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': '#2f6fa8', 'fill-opacity': 0.12 } });
    style.addLayer({ id: 'plan-sketch-line', type: 'line', source: 'plan-sketch',
      paint: { 'line-color': '#1f4f7f', 'line-width': 2, 'line-dasharray': [2, 1] } });
    style.addLayer({ id: 'plan-sketch-point', type: 'circle', source: 'plan-sketch', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': '#1f4f7f', 'circle-stroke-width': 2 } });
  } });
  let buildings = []; // [{id, lon, lat, grid}]
  let tool = 'select';
  let selection = new Set();
  let changed = new Set();
  let active = null;
  let sketch = null; // {kind: 'box'|'lasso'|'line'|'polygon'|'brush', points: [[lon, lat]]}
  let ready = false;
  const queued = [];
  const perf = { selected: 0, renderMs: null, idleMs: null };
  window.__planPerf = perf;

  whenLoaded(map, () => {
    ready = true;
    for (const fn of queued.splice(0)) fn();
  });

  const later = (fn) => (ready ? fn() : queued.push(fn));
  const src = (id) => map.getSource(id);

  // ---- data -----------------------------------------------------------------
  /** The plan's layers from the server (replaces every optimistic colour). */
  function setLayers(layers) {
    buildings = layers.buildings.features.map((f) => ({
      id: f.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], grid: f.properties.grid,
    }));
    later(() => {
      map.removeFeatureState({ source: 'plan-buildings' });
      map.removeFeatureState({ source: 'plan-grids' });
      src('plan-buildings').setData(layers.buildings);
      src('plan-grids').setData(layers.grids);
      src('plan-boundary').setData(layers.boundary
        ? { type: 'Feature', properties: {}, geometry: layers.boundary } : EMPTY);
      for (const id of selection) map.setFeatureState({ source: 'plan-buildings', id }, { sel: true });
      for (const id of changed) map.setFeatureState({ source: 'plan-buildings', id }, { changed: true });
      setActive(active);
    });
  }

  /** Grid colours by status and the labels (grids: [{key, status, label}], label points by key). */
  function setGrids(grids, labelAt) {
    later(() => {
      for (const g of grids) map.setFeatureState({ source: 'plan-grids', id: g.key }, { status: g.status });
      src('plan-labels').setData({ type: 'FeatureCollection', features: grids.filter((g) => labelAt.has(g.key)).map((g) => ({
        type: 'Feature', properties: { label: g.label, colour: g.status === 'ok' ? '#1d5c37' : g.status === 'exempt' ? '#44505c' : '#8c2a17' },
        geometry: { type: 'Point', coordinates: labelAt.get(g.key) },
      })) });
    });
  }

  /** Optimistic: these buildings now show grid `key`. */
  function paintBuildings(ids, key) {
    later(() => {
      for (const id of ids) map.setFeatureState({ source: 'plan-buildings', id }, { g: key });
    });
    for (const b of buildings) if (ids.includes(b.id)) b.grid = key;
  }

  function setSelection(ids) {
    const next = new Set(ids);
    const t0 = performance.now();
    later(() => {
      for (const id of selection) if (!next.has(id)) map.setFeatureState({ source: 'plan-buildings', id }, { sel: false });
      for (const id of next) if (!selection.has(id)) map.setFeatureState({ source: 'plan-buildings', id }, { sel: true });
      selection = next;
      perf.selected = next.size;
      perf.renderMs = null;
      perf.idleMs = null;
      map.once('render', () => { perf.renderMs = performance.now() - t0; });
      map.once('idle', () => { perf.idleMs = performance.now() - t0; });
      map.triggerRepaint();
    });
  }

  function setChanged(ids) {
    later(() => {
      for (const id of changed) map.setFeatureState({ source: 'plan-buildings', id }, { changed: false });
      changed = new Set(ids);
      for (const id of changed) map.setFeatureState({ source: 'plan-buildings', id }, { changed: true });
    });
  }

  function setActive(key) {
    later(() => {
      if (active !== null && active !== undefined) map.setFeatureState({ source: 'plan-grids', id: active }, { active: false });
      active = key;
      if (key !== null && key !== undefined) map.setFeatureState({ source: 'plan-grids', id: key }, { active: true });
      map.setFilter('plan-grid-active', ['==', ['id'], key ?? -1]);
    });
  }

  /** Frame [w, s, e, n] with room for the side panel. */
  function fit(bbox, { animate = true } = {}) {
    if (!bbox) return;
    const side = document.querySelector('.plan-side')?.getBoundingClientRect();
    const left = side ? Math.min(side.right + 30, el.clientWidth - 200) : 40;
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], {
      padding: { top: 40, bottom: 40, left, right: 60 }, maxZoom: 18, duration: animate ? 500 : 0,
    });
  }

  function zoomTo(ids) {
    const set = new Set(ids);
    fit(bboxOf(buildings.filter((b) => set.has(b.id)).map((b) => [b.lon, b.lat])));
  }

  // ---- tools ----------------------------------------------------------------
  function setTool(next) {
    cancelSketch();
    tool = next;
    const drawing = next === 'line' || next === 'polygon';
    if (drawing) map.doubleClickZoom.disable(); else map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = next === 'select' ? '' : 'crosshair';
  }

  function cancelSketch() {
    sketch = null;
    if (ready) src('plan-sketch').setData(EMPTY);
  }

  function drawSketch(cursor) {
    if (!sketch || !ready) return;
    const pts = cursor ? [...sketch.points, cursor] : sketch.points;
    const features = sketch.points.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
    if (sketch.kind === 'line' && pts.length >= 2) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    } else if (sketch.kind !== 'line' && sketch.kind !== 'brush' && pts.length >= 2) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    }
    src('plan-sketch').setData({ type: 'FeatureCollection', features: sketch.kind === 'lasso' || sketch.kind === 'box' ? features.slice(-1) : features });
  }

  const lngLat = (p) => { const l = map.unproject(p); return [l.lng, l.lat]; };
  const screenPoint = (ev) => {
    const r = map.getCanvas().getBoundingClientRect();
    return new maplibregl.Point(ev.clientX - r.left, ev.clientY - r.top);
  };

  /** Buildings whose screen position lies in the ring of screen points. */
  function inside(ring) {
    return buildings.filter((b) => inRing(map.project([b.lon, b.lat]), ring)).map((b) => b.id);
  }

  function near(p, radius) {
    let best = null;
    let bestD = radius * radius;
    const all = [];
    for (const b of buildings) {
      const q = map.project([b.lon, b.lat]);
      const d = (q.x - p.x) ** 2 + (q.y - p.y) ** 2;
      if (d <= radius * radius) all.push(b.id);
      if (d <= bestD) { bestD = d; best = b.id; }
    }
    return { best, all };
  }

  /** Drag tools: box (shift + drag in select), lasso, brush. */
  map.on('mousedown', (e) => {
    if (e.originalEvent.button !== 0) return;
    const shift = e.originalEvent.shiftKey;
    const kind = tool === 'select' && shift ? 'box' : tool === 'lasso' ? 'lasso' : tool === 'brush' ? 'brush' : null;
    if (!kind) return;
    e.preventDefault();
    const start = e.point;
    sketch = { kind, points: [lngLat(start)], screen: [start], additive: shift || e.originalEvent.ctrlKey || e.originalEvent.metaKey };
    if (kind === 'brush') on.paint(near(start, BRUSH_PX).all);
    const move = (ev) => {
      const p = screenPoint(ev);
      if (kind === 'box') {
        const a = start;
        sketch.screen = [a, new maplibregl.Point(p.x, a.y), p, new maplibregl.Point(a.x, p.y)];
        sketch.points = sketch.screen.map(lngLat);
      } else {
        sketch.screen.push(p);
        sketch.points.push(lngLat(p));
        if (kind === 'brush') {
          const hit = near(p, BRUSH_PX).all;
          if (hit.length) on.paint(hit);
          return;
        }
      }
      drawSketch();
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      const done = sketch;
      cancelSketch();
      if (!done) return;
      if (kind === 'brush') { on.paintEnd(); return; }
      if (done.screen.length < 3) return;
      on.select(inside(done.screen), kind === 'box' && tool === 'select' ? 'add' : done.additive ? 'add' : 'replace');
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  });

  map.on('click', (e) => {
    if (tool === 'line' || tool === 'polygon') {
      if (!sketch) sketch = { kind: tool, points: [] };
      sketch.points.push([e.lngLat.lng, e.lngLat.lat]);
      drawSketch();
      return;
    }
    if (tool !== 'select' || e.originalEvent.shiftKey) return;
    const { best } = near(e.point, CLICK_PX);
    if (best !== null) {
      on.select([best], e.originalEvent.ctrlKey || e.originalEvent.metaKey ? 'toggle' : 'replace');
      return;
    }
    const grid = map.queryRenderedFeatures(e.point, { layers: ['plan-grid-fill'] })[0];
    if (grid) on.activate(grid.id);
    on.select([], 'replace');
  });

  map.on('mousemove', (e) => {
    if (sketch && (sketch.kind === 'line' || sketch.kind === 'polygon')) drawSketch([e.lngLat.lng, e.lngLat.lat]);
  });

  map.on('dblclick', (e) => {
    if (!sketch || (sketch.kind !== 'line' && sketch.kind !== 'polygon')) return;
    e.preventDefault();
    finishSketch();
  });

  /** Finish a line or polygon sketch (double-click, Enter or the button). */
  function finishSketch() {
    if (!sketch) return false;
    // A double-click adds the same point twice: drop repeats.
    const pts = sketch.points.filter((p, i, a) => i === 0 || p[0] !== a[i - 1][0] || p[1] !== a[i - 1][1]);
    const kind = sketch.kind;
    cancelSketch();
    if (kind === 'line' && pts.length >= 2) on.line(pts);
    else if (kind === 'polygon' && pts.length >= 3) on.polygon(pts);
    else return false;
    return true;
  }

  return {
    map, setLayers, setGrids, paintBuildings, setSelection, setChanged, setActive, fit, zoomTo,
    setTool, cancelSketch, finishSketch,
    get sketching() { return Boolean(sketch); },
    get buildings() { return buildings; },
  };
}
