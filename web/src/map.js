// The shared map: our own style, tiles and glyphs (nothing from outside),
// CJK labels drawn with the device's local fonts.

/* global maplibregl */

export const CJK_FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

/** A MapLibre map on the server's /style.json in `container`. */
export function createMap(container, options = {}) {
  const map = new maplibregl.Map({
    container,
    style: '/style.json',
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    ...options,
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
