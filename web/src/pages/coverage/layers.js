// The coverage page's map: buildings coloured by walking band for the
// asked minutes and tiers, uncovered buildings highlighted, stations of the
// other tiers dimmed, the selected unit outlined, proposed sites and the
// buildings they would cover.
//
// The style's `coverage-buildings` / `coverage-buildings-points` layers are
// addressed by id only (their source may be the base tiles or a coverage
// source of its own); per-query minutes go in as feature state on whatever
// source they read, and the tiles' own `minutes` (all tiers) show until then.

import { setData, setFilter, setLayout } from '../../map.js';

export const BAND_COLOURS = ['#1a9850', '#66bd63', '#a6d96a', '#d9ef8b'];
export const UNCOVERED = '#f46d43';
export const UNREACHABLE = '#a50026';
export const SITE = '#6a3d9a';
const SELECTED = '#0b3d91';
const NONE = -1;
const EMPTY = { type: 'FeatureCollection', features: [] };

export const COVERAGE_LAYERS = ['coverage-buildings', 'coverage-buildings-points'];

/** The colour of band j of n (the last band is the limit). */
export function bandColour(j, n) {
  if (n <= BAND_COLOURS.length) return BAND_COLOURS[Math.min(j, BAND_COLOURS.length - 1)];
  return BAND_COLOURS[Math.min(BAND_COLOURS.length - 1, Math.round((j * (BAND_COLOURS.length - 1)) / (n - 1)))];
}

/** Walking minutes of a feature: this query's (feature state) or the tile's; -1 = no route. */
const MINUTES = ['to-number', ['coalesce', ['feature-state', 'min'], ['get', 'minutes'], NONE]];

function colourBy(bands) {
  const e = ['case', ['<', ['var', 'm'], 0], UNREACHABLE];
  bands.forEach((b, j) => e.push(['<=', ['var', 'm'], b.minutes + 1e-9], bandColour(j, bands.length)));
  e.push(UNCOVERED);
  return ['let', 'm', MINUTES, e];
}

function uncovered(limit, yes, no) {
  return ['let', 'm', MINUTES, ['case', ['any', ['<', ['var', 'm'], 0], ['>', ['var', 'm'], limit + 1e-9]], yes, no]];
}

/** Where a style layer reads from: {source, sourceLayer} (map or styleEditor). */
function sourceOf(map, layerId) {
  const l = map.getLayer(layerId);
  return l ? { source: l.source, sourceLayer: l.sourceLayer ?? l['source-layer'] } : null;
}

/**
 * The page's own layers, added to the style before it loads (see createMap).
 * Layers on the coverage source start hidden: a visitor without analytics
 * rights never asks for coverage tiles.
 */
export function coverageOverlay(style) {
  const before = style.getLayer('grids-fill') ? 'grids-fill' : undefined;
  const coverage = sourceOf(style, 'coverage-buildings');
  const grids = sourceOf(style, 'grids-line');
  const communities = sourceOf(style, 'communities-line');
  if (coverage) {
    const src = { source: coverage.source, 'source-layer': coverage.sourceLayer, layout: { visibility: 'none' } };
    // The same filters sites([]) sets, so the first draw changes nothing.
    style.addLayer({ id: 'cov-gain', type: 'line', ...src, filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['in', ['id'], ['literal', []]]],
      paint: { 'line-color': SITE, 'line-width': 2.5 } }, before);
    style.addLayer({ id: 'cov-gain-points', type: 'circle', ...src, maxzoom: 15,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['in', ['id'], ['literal', []]]],
      paint: { 'circle-radius': 5, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': SITE, 'circle-stroke-width': 2 } }, before);
  }
  if (grids) {
    style.addLayer({ id: 'cov-sel-grid', type: 'line', source: grids.source, 'source-layer': grids.sourceLayer,
      filter: ['==', ['id'], NONE], paint: { 'line-color': SELECTED, 'line-width': 4 } });
  }
  if (communities) {
    style.addLayer({ id: 'cov-sel-community', type: 'line', source: communities.source, 'source-layer': communities.sourceLayer,
      filter: ['==', ['id'], NONE], paint: { 'line-color': SELECTED, 'line-width': 4.5 } });
  }
  const font = style.getLayer('stations-label') ? style.getLayoutProperty('stations-label', 'text-font') : undefined;
  style.addSource('cov-iso', { type: 'geojson', data: EMPTY });
  style.addLayer({ id: 'cov-iso-fill', type: 'fill', source: 'cov-iso', paint: { 'fill-color': '#2471a3', 'fill-opacity': 0.12 } }, before);
  style.addLayer({ id: 'cov-iso-line', type: 'line', source: 'cov-iso', paint: { 'line-color': '#2471a3', 'line-width': 2, 'line-dasharray': [2, 1] } });
  style.addSource('cov-sites', { type: 'geojson', data: EMPTY });
  style.addLayer({ id: 'cov-sites-halo', type: 'circle', source: 'cov-sites',
    paint: { 'circle-radius': 20, 'circle-color': SITE, 'circle-opacity': 0.18 } });
  style.addLayer({ id: 'cov-sites', type: 'circle', source: 'cov-sites',
    paint: { 'circle-radius': 12, 'circle-color': SITE, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2.5 } });
  if (font) {
    style.addLayer({ id: 'cov-sites-label', type: 'symbol', source: 'cov-sites',
      layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': font, 'text-size': 13, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': '#ffffff' } });
    style.addLayer({ id: 'cov-sites-gain', type: 'symbol', source: 'cov-sites',
      layout: { 'text-field': ['get', 'label'], 'text-font': font, 'text-size': 12, 'text-offset': [0, 1.7], 'text-anchor': 'top', 'text-allow-overlap': true },
      paint: { 'text-color': SITE, 'text-halo-color': '#ffffff', 'text-halo-width': 2 } });
  }
}

/** The layers that read the coverage source (shown only to those allowed). */
const ON_COVERAGE = [...COVERAGE_LAYERS, 'cov-gain', 'cov-gain-points'];

export function coverageLayers(map) {
  let featureIds = [];
  let coverageSource = null;

  /** Show the coverage layers (the map's style is loaded and the user may see them). */
  function setup() {
    for (const id of ON_COVERAGE) setLayout(map, id, 'visibility', 'visible');
    coverageSource = sourceOf(map, 'coverage-buildings');
  }

  return {
    setup,
    /** Back to the public map (signed out, or no analytics). */
    hide() {
      for (const id of ON_COVERAGE) setLayout(map, id, 'visibility', 'none');
      this.sites([]);
      this.isochrone(null);
    },
    /** Colour buildings for these bands (the last is the limit). */
    bands(bands) {
      const limit = bands[bands.length - 1].minutes;
      if (map.getLayer('coverage-buildings')) {
        map.setPaintProperty('coverage-buildings', 'fill-color', colourBy(bands));
        map.setPaintProperty('coverage-buildings', 'fill-opacity', uncovered(limit, 0.95, 0.8));
        map.setPaintProperty('coverage-buildings', 'fill-outline-color', uncovered(limit, '#8b1a00', 'rgba(0,0,0,0.15)'));
      }
      if (map.getLayer('coverage-buildings-points')) {
        map.setPaintProperty('coverage-buildings-points', 'circle-color', colourBy(bands));
        map.setPaintProperty('coverage-buildings-points', 'circle-radius',
          ['interpolate', ['linear'], ['zoom'], 13, uncovered(limit, 3.2, 2), 15, uncovered(limit, 5, 3.5)]);
        map.setPaintProperty('coverage-buildings-points', 'circle-stroke-width', uncovered(limit, 1, 0));
        map.setPaintProperty('coverage-buildings-points', 'circle-stroke-color', '#ffffff');
      }
    },
    /** This query's walking minutes per building (null = no route). */
    minutes(rows) {
      if (!coverageSource) return;
      const target = { source: coverageSource.source, sourceLayer: coverageSource.sourceLayer };
      for (const id of featureIds) map.removeFeatureState({ ...target, id });
      featureIds = [];
      for (const b of rows) {
        const m = b.status === 'unreachable' || b.minutes === null || b.minutes === undefined ? NONE : b.minutes;
        map.setFeatureState({ ...target, id: b.id }, { min: m });
        featureIds.push(b.id);
      }
    },
    /** Dim stations outside the counted tiers (null = all). */
    tiers(tiers) {
      const on = tiers ? ['in', ['get', 'tier'], ['literal', tiers]] : true;
      if (map.getLayer('stations')) {
        map.setPaintProperty('stations', 'circle-opacity', ['case', on, 1, 0.25]);
        map.setPaintProperty('stations', 'circle-stroke-opacity', ['case', on, 1, 0.25]);
      }
      if (map.getLayer('stations-label')) map.setPaintProperty('stations-label', 'text-opacity', ['case', on, 1, 0.35]);
    },
    select(kind, id) {
      setFilter(map, 'cov-sel-grid', ['==', ['id'], kind === 'grid' ? id : NONE]);
      setFilter(map, 'cov-sel-community', ['==', ['id'], kind === 'community' ? id : NONE]);
    },
    /** Proposed sites (ranked, labelled by label(site)) and the buildings they would newly cover. */
    sites(sites, label = () => '') {
      setData(map, 'cov-sites', {
        type: 'FeatureCollection',
        features: sites.map((s, i) => ({
          type: 'Feature', id: i + 1,
          properties: { rank: i + 1, gain: s.gain_households, label: label(s) },
          geometry: { type: 'Point', coordinates: s.point },
        })),
      });
      const ids = sites.flatMap((s) => s.buildings);
      setFilter(map, 'cov-gain', ['all', ['==', ['geometry-type'], 'Polygon'], ['in', ['id'], ['literal', ids]]]);
      setFilter(map, 'cov-gain-points', ['all', ['==', ['geometry-type'], 'Point'], ['in', ['id'], ['literal', ids]]]);
    },
    /** A station's walking area (GeoJSON Feature) or none. */
    isochrone(feature) {
      setData(map, 'cov-iso', feature ? { type: 'FeatureCollection', features: [feature] } : EMPTY);
    },
  };
}
