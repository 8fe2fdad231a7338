// `/find` and `/b/{building}`: the resident finds their grid by searching a
// building or address, by their location, or by tapping the map.

/* global maplibregl */

import { h, fill } from '../../dom.js';
import { errorText, t, translate } from '../../i18n.js';
import * as api from '../../api.js';
import { createMap, setData, setFilter, whenLoaded } from '../../map.js';
import { nearestStation, renderCard, routeFeature } from './card.js';

const SEARCH_DELAY_MS = 250;
const SEARCH_LIMIT = 8;
const NARROW = window.matchMedia('(max-width: 700px)');
const EMPTY = { type: 'FeatureCollection', features: [] };
const NONE = -1;

export function findPage(main, { building }) {
  main.className = 'mapped find';
  const mapEl = h('div', { id: 'map', class: 'map' });
  const input = h('input', {
    type: 'search', id: 'search', name: 'q', autocomplete: 'off', enterkeyhint: 'search',
    'data-i18n-placeholder': 'search.placeholder', 'data-i18n-aria-label': 'search.label',
  });
  const locate = h('button', { type: 'button', class: 'locate', id: 'locate', 'data-i18n-title': 'locate.button' },
    h('span', { class: 'locate-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'locate-label', 'data-i18n': 'locate.button' }));
  const form = h('form', { class: 'search-form', role: 'search', onsubmit: (e) => { e.preventDefault(); submit(); } },
    input, h('button', { type: 'submit', class: 'go', 'data-i18n': 'search.button' }), locate);
  const results = h('ul', { class: 'results', id: 'results', hidden: true });
  const message = h('p', { class: 'message', id: 'message', role: 'status', 'aria-live': 'polite', 'data-i18n': 'search.hint' });
  const card = h('section', { class: 'card', id: 'card', hidden: true, 'aria-live': 'polite' });
  const panel = h('section', { class: 'panel search' }, form, results, message);
  const side = h('div', { class: 'side' }, panel, card);
  main.append(mapEl, side);

  const map = createMap(mapEl, { overlay: (style) => {
    const before = style.getLayer('roads-label') ? 'roads-label' : undefined;
    style.addLayer({ id: 'sel-grid', type: 'line', source: 'gridmap', 'source-layer': 'grids', filter: ['==', ['id'], NONE],
      paint: { 'line-color': '#1f4f7f', 'line-width': 3.5 } }, before);
    style.addLayer({ id: 'sel-building', type: 'fill', source: 'gridmap', 'source-layer': 'buildings',
      filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['==', ['id'], NONE]],
      paint: { 'fill-color': '#e74c3c', 'fill-opacity': 0.75, 'fill-outline-color': '#922b21' } }, before);
    style.addLayer({ id: 'sel-building-point', type: 'circle', source: 'gridmap', 'source-layer': 'buildings',
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['id'], NONE]],
      paint: { 'circle-radius': 5, 'circle-color': '#e74c3c' } }, before);
    style.addSource('route', { type: 'geojson', data: EMPTY });
    style.addLayer({ id: 'route-casing', type: 'line', source: 'route', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 8 } });
    style.addLayer({ id: 'route', type: 'line', source: 'route', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#2471a3', 'line-width': 4.5 } });
    style.addSource('marks', { type: 'geojson', data: EMPTY });
    style.addLayer({ id: 'sel-station', type: 'circle', source: 'marks', filter: ['==', ['get', 'kind'], 'station'],
      paint: { 'circle-radius': 13, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#c0392b', 'circle-stroke-width': 3 } });
    style.addLayer({ id: 'sel-point', type: 'circle', source: 'marks', filter: ['==', ['get', 'kind'], 'place'],
      paint: { 'circle-radius': 8, 'circle-color': '#e74c3c', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 } });
  } });
  // What the card shows; re-rendered on language change.
  let state = null;
  let found = null; // last search results
  let messageKey = { key: 'search.hint' };
  let searchTimer = 0;
  let searchAbort = null;
  let lookupSeq = 0;
  window.__find = { get state() { return state; } };

  // ---- map overlays (in the style from the start, see createMap) ------------
  whenLoaded(map, () => draw());

  /** Put the current selection on the map. */
  function draw() {
    if (!map.getSource('marks')) return;
    const id = state?.building?.id ?? NONE;
    const gridId = state?.lookup?.grid?.id ?? NONE;
    setFilter(map, 'sel-building', ['all', ['==', ['geometry-type'], 'Polygon'], ['==', ['id'], id]]);
    setFilter(map, 'sel-building-point', ['all', ['==', ['geometry-type'], 'Point'], ['==', ['id'], id]]);
    setFilter(map, 'sel-grid', ['==', ['id'], gridId]);
    const marks = [];
    if (state && Number.isFinite(state.lon)) marks.push(point(state.lon, state.lat, 'place'));
    const station = nearestStation(state?.lookup?.stations);
    if (station) marks.push(point(station.lon, station.lat, 'station'));
    setData(map, 'marks', { type: 'FeatureCollection', features: marks });
    const route = routeFeature(state?.lookup, station);
    setData(map, 'route', route ? { type: 'FeatureCollection', features: [route] } : EMPTY);
  }

  /** Room the search panel and the card take over the map, measured. */
  function padding() {
    const m = mapEl.getBoundingClientRect();
    const s = side.getBoundingClientRect();
    if (NARROW.matches) {
      const top = Math.round(panel.getBoundingClientRect().bottom - m.top + 24);
      const sheet = card.hidden ? 0 : card.getBoundingClientRect().height;
      const bottom = Math.max(24, Math.min(Math.round(sheet + 24), m.height - top - 100));
      return { top, bottom, left: 40, right: 40 };
    }
    const left = Math.min(Math.round(s.right - m.left + 40), m.width - 200);
    return { top: 60, bottom: 60, left, right: 60 };
  }

  /** Show the place, and the station once known, with room for the card. */
  function frame() {
    if (!state || !Number.isFinite(state.lon)) return;
    const coords = [[state.lon, state.lat]];
    const station = nearestStation(state.lookup?.stations);
    if (station) coords.push([station.lon, station.lat]);
    const route = routeFeature(state.lookup, station);
    if (route?.geometry?.type === 'LineString') coords.push(...route.geometry.coordinates);
    // Not easeTo({padding}): that padding would stick to the map and add up.
    const [lon, lat] = coords[0];
    const bounds = coords.reduce((b, c) => b.extend(c),
      new maplibregl.LngLatBounds([lon - 0.0004, lat - 0.0003], [lon + 0.0004, lat + 0.0003]));
    map.fitBounds(bounds, { padding: padding(), maxZoom: 17.5, duration: 600 });
  }

  // ---- selection ------------------------------------------------------------
  function render() {
    if (state) renderCard(card, state, close);
    else card.hidden = true;
    document.body.classList.toggle('has-card', Boolean(state));
  }

  function close() {
    state = null;
    lookupSeq += 1;
    render();
    draw();
    history.replaceState(null, '', `/find${location.search}`);
  }

  /** Look up the grid at (lon, lat) for the card; `building` titles it. */
  async function select(lon, lat, building = null) {
    const seq = ++lookupSeq;
    state = { lon, lat, building, loading: true };
    render();
    draw();
    frame();
    history.replaceState(null, '', `${building ? `/b/${building.id}` : '/find'}${location.search}`);
    try {
      const lookup = await api.lookup(lon, lat);
      if (seq !== lookupSeq) return;
      state = { ...state, loading: false, lookup };
    } catch (e) {
      if (seq !== lookupSeq) return;
      state = { ...state, loading: false, error: lookupError(e) };
    }
    render();
    draw();
    frame();
  }

  function selectBuilding(b) {
    results.hidden = true;
    if (NARROW.matches) input.blur();
    return select(b.lon, b.lat, b);
  }

  // ---- search ---------------------------------------------------------------
  function say(key, vars = {}) {
    messageKey = { key, vars };
    message.textContent = t(key, vars);
  }

  function showResults(list, q) {
    found = { list, q };
    if (!list.length) {
      results.hidden = true;
      say('search.none', { q });
      return;
    }
    say('search.hint');
    fill(results, list.map((b) => h('li', {},
      h('button', { type: 'button', class: 'result', dataset: { id: b.id }, onclick: () => selectBuilding(b) },
        h('span', { class: 'result-name' }, b.name || b.address || t('search.unnamed', { id: b.id })),
        h('span', { class: 'result-meta' }, [b.name ? b.address : null, b.grid?.name].filter(Boolean).join(' · '))))));
    results.hidden = false;
  }

  async function search(q) {
    searchAbort?.abort();
    searchAbort = new AbortController();
    try {
      showResults(await api.searchBuildings(q, SEARCH_LIMIT, searchAbort.signal), q);
    } catch (e) {
      if (e.name === 'AbortError') return;
      results.hidden = true;
      say('search.failed', { message: errorText(e) });
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(searchTimer);
    const q = input.value.trim();
    if (!q) {
      searchAbort?.abort();
      results.hidden = true;
      found = null;
      say('search.hint');
      return;
    }
    searchTimer = setTimeout(() => search(q), SEARCH_DELAY_MS);
  });

  async function submit() {
    clearTimeout(searchTimer);
    const q = input.value.trim();
    if (!q) return;
    if (found?.q !== q) await search(q);
    if (found?.q === q && found.list.length) selectBuilding(found.list[0]);
  }

  // ---- location -------------------------------------------------------------
  locate.addEventListener('click', () => {
    if (!window.isSecureContext || !navigator.geolocation) {
      say('locate.unsupported');
      return;
    }
    say('locate.busy');
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        locate.disabled = false;
        say('search.hint');
        select(pos.coords.longitude, pos.coords.latitude);
      },
      (err) => {
        locate.disabled = false;
        say({ 1: 'locate.denied', 2: 'locate.unavailable', 3: 'locate.timeout' }[err.code] ?? 'locate.unavailable');
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  // ---- tap on the map ------------------------------------------------------
  map.on('click', (e) => {
    const layers = ['buildings', 'buildings-points'].filter((l) => map.getLayer(l));
    const hit = map.queryRenderedFeatures(e.point, { layers })[0];
    const { lng, lat } = e.lngLat;
    if (hit?.id === undefined) {
      select(lng, lat);
      return;
    }
    // Title the card with the tapped building, looked up at the tap itself.
    select(lng, lat, { id: hit.id, name: hit.properties?.name ?? null, address: null, lon: lng, lat });
    api.building(hit.id).then((b) => {
      if (state?.building?.id === b.id) {
        state = { ...state, building: { ...b, lon: lng, lat } };
        render();
      }
    }).catch(() => {});
  });

  // ---- language -------------------------------------------------------------
  window.addEventListener('langchange', () => {
    translate(main);
    message.textContent = t(messageKey.key, messageKey.vars);
    if (found && !results.hidden) showResults(found.list, found.q);
    render();
  });

  // ---- /b/{building} --------------------------------------------------------
  if (building) {
    api.building(building)
      .then(selectBuilding)
      .catch((e) => {
        state = { lon: NaN, lat: NaN, building: null, error: e.code === 'no_such_building'
          ? { key: 'card.nobuilding', vars: { id: building } } : lookupError(e) };
        render();
      });
  }
}

function point(lon, lat, kind) {
  return { type: 'Feature', properties: { kind }, geometry: { type: 'Point', coordinates: [lon, lat] } };
}

function lookupError(e) {
  if (e.code === 'not_in_grid') return { key: 'card.notingrid' };
  return { key: 'card.failed', vars: { message: errorText(e) } };
}
