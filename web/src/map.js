// The shared map: our own style, tiles and glyphs (nothing from outside),
// CJK labels drawn with the device's local fonts.
//
// A page's own sources and layers go into the style before it loads
// (`overlay`), not with addLayer after 'load': every layer added, filter set
// or layout changed after the tiles are parsed makes MapLibre parse the
// source's tiles again, which on a phone or a software-GL browser costs
// more than the whole first render.

/* global maplibregl */

import { prefetch } from './http.js';

export const CJK_FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

// Latin glyph ranges every page's labels use; fetched as the map starts so
// that they are in the HTTP cache (the server sends max-age) by the time
// the first tiles ask for them.
const WARM_GLYPHS = ['/fonts/DejaVu%20Sans%20Book/0-255.pbf', '/fonts/DejaVu%20Sans%20Bold/0-255.pbf'];

/**
 * The subset of the map API the overlays use, working on the style JSON
 * before it is loaded: addSource, addLayer(layer, beforeId), getLayer,
 * setLayoutProperty, getLayoutProperty.
 */
export function styleEditor(style) {
  const layers = style.layers;
  const find = (id) => layers.find((l) => l.id === id);
  return {
    style,
    getLayer: (id) => {
      const l = find(id);
      return l ? { ...l, sourceLayer: l['source-layer'] } : undefined;
    },
    addSource(id, source) { style.sources[id] = source; },
    addLayer(layer, before) {
      const i = before ? layers.findIndex((l) => l.id === before) : -1;
      if (i >= 0) layers.splice(i, 0, layer);
      else layers.push(layer);
    },
    setLayoutProperty(id, key, value) {
      const l = find(id);
      if (l) l.layout = { ...l.layout, [key]: value };
    },
    getLayoutProperty: (id, key) => find(id)?.layout?.[key],
  };
}

/**
 * A MapLibre map on the server's /style.json in `container`.
 * `options.overlay(editor)` adds the page's sources and layers to the style
 * before it loads (see styleEditor); other options go to maplibregl.Map.
 */
export function createMap(container, options = {}) {
  const { overlay, ...rest } = options;
  for (const url of WARM_GLYPHS) prefetch(url);
  const map = new maplibregl.Map({
    container,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    ...rest,
  });
  map.setStyle('/style.json', {
    localIdeographFontFamily: CJK_FONTS,
    transformStyle: (_previous, next) => {
      const style = { ...next, sources: { ...next.sources }, layers: [...next.layers] };
      overlay?.(styleEditor(style));
      return style;
    },
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.on('error', (e) => console.error(`map error: ${e.error?.message ?? e}`));
  // First full render after navigation (ms since navigation start).
  map.once('idle', () => { window.__firstIdleMs = performance.now(); });
  // For the browser tests and for debugging from the console.
  window.__map = map;
  return map;
}

/** Run fn once the style is loaded (now, if it already is). */
export function whenLoaded(map, fn) {
  if (map.isStyleLoaded()) fn();
  else map.once('load', fn);
}

/**
 * setFilter only when the filter changes: any setFilter makes MapLibre parse
 * the layer's source tiles again.
 */
export function setFilter(map, id, filter) {
  if (!map.getLayer(id)) return;
  if (JSON.stringify(map.getFilter(id) ?? null) === JSON.stringify(filter ?? null)) return;
  map.setFilter(id, filter);
}

/** setLayoutProperty only when the value changes (same reason as setFilter). */
export function setLayout(map, id, key, value) {
  if (!map.getLayer(id)) return;
  if (JSON.stringify(map.getLayoutProperty(id, key) ?? null) === JSON.stringify(value ?? null)) return;
  map.setLayoutProperty(id, key, value);
}

const shown = new WeakMap();
const EMPTY_KEY = JSON.stringify({ type: 'FeatureCollection', features: [] });

/**
 * GeoJSON source setData only when the data changes, for small overlay
 * sources (it compares serialised data). Such sources start empty.
 */
export function setData(map, sourceId, data) {
  const source = map.getSource(sourceId);
  if (!source) return;
  const key = JSON.stringify(data);
  let seen = shown.get(map);
  if (!seen) shown.set(map, (seen = new Map()));
  if ((seen.get(sourceId) ?? EMPTY_KEY) === key) return;
  seen.set(sourceId, key);
  source.setData(data);
}
