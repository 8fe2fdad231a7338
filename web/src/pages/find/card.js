// The resident's card: the grid at the selected place, its public contacts
// (tap to call) and the nearest service station. Never shows household
// figures (the public API carries none).

import { h, fill } from '../../dom.js';
import { distance, num, t } from '../../i18n.js';

const ROLE_ORDER = ['grid_worker', 'grid_leader', 'building_steward'];

/** `tel:` URI of a listed phone number (digits and a leading + only). */
export function telUri(phone) {
  const digits = phone.replace(/[^\d+]/g, '');
  return digits ? `tel:${digits}` : null;
}

/**
 * The station to show: the one with the fewest walking minutes when the
 * server provides them, else the nearest in a straight line.
 */
export function nearestStation(stations = []) {
  const walked = stations.filter((s) => Number.isFinite(s.walking_minutes));
  if (walked.length) return walked.reduce((a, b) => (b.walking_minutes < a.walking_minutes ? b : a));
  return stations[0] ?? null;
}

/** The walking route of a lookup, as a GeoJSON Feature, if the server sent one. */
export function routeFeature(lookup, station) {
  const r = station?.route ?? lookup?.route;
  if (!r || typeof r !== 'object') return null;
  if (r.type === 'Feature') return r;
  if (r.type === 'FeatureCollection') return r.features?.[0] ?? null;
  if (r.type === 'LineString' || r.type === 'MultiLineString') return { type: 'Feature', properties: {}, geometry: r };
  return null;
}

/**
 * Render `state` into the card element.
 * state: { building?, loading?, error?: {key, vars}, lookup? }
 */
export function renderCard(el, state, onClose) {
  const title = state.building
    ? (state.building.name || state.building.address || t('search.unnamed', { id: state.building.id }))
    : t('card.place');
  const address = state.building?.name && state.building?.address ? state.building.address : null;
  const parts = [
    h('div', { class: 'grip', 'aria-hidden': 'true' }),
    h('button', { type: 'button', class: 'close', id: 'card-close', 'aria-label': t('card.close'), title: t('card.close'), onclick: onClose }, '×'),
    h('h2', { class: 'title', id: 'card-title' }, title),
    address && h('p', { class: 'address' }, address),
  ];
  if (state.loading) parts.push(h('p', { class: 'loading' }, t('card.loading')));
  if (state.error) parts.push(h('p', { class: 'error', role: 'alert' }, t(state.error.key, state.error.vars)));
  const l = state.lookup;
  if (l) parts.push(gridBlock(l), contactsBlock(l.contacts ?? []), stationBlock(l));
  if (l?.contacts?.some((c) => c.sample)) parts.push(h('p', { class: 'sample', id: 'sample-note' }, t('card.sample')));
  fill(el, parts);
  el.hidden = false;
}

function gridBlock(l) {
  return h('div', { class: 'block grid', id: 'card-grid' },
    h('h3', {}, t('card.grid')),
    h('p', { class: 'grid-name' }, l.grid.name,
      l.grid.kind === 'dedicated' && h('span', { class: 'badge' }, t('card.dedicated'))),
    h('dl', { class: 'meta' },
      h('dt', {}, t('card.code')), h('dd', {}, h('code', { class: 'grid-code' }, l.grid.code)),
      l.community && [h('dt', {}, t('card.community')), h('dd', {}, l.community.name)]));
}

function contactsBlock(contacts) {
  const sorted = [...contacts].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  return h('div', { class: 'block contacts', id: 'card-contacts' },
    h('h3', {}, t('card.contacts')),
    sorted.length === 0
      ? h('p', { class: 'muted' }, t('card.nocontacts'))
      : h('ul', {}, sorted.map((c) => {
        const tel = c.phone ? telUri(c.phone) : null;
        return h('li', { class: `contact ${c.role}` },
          h('span', { class: 'role' }, t(`role.${c.role}`)),
          h('span', { class: 'name' }, c.name),
          tel
            ? h('a', { class: 'call', href: tel, 'aria-label': `${t('card.call')} ${c.name} ${c.phone}` },
              h('span', { class: 'call-label' }, t('card.call')), h('span', { class: 'phone' }, c.phone))
            : h('span', { class: 'muted' }, t('card.nophone')));
      })));
}

function stationBlock(l) {
  const s = nearestStation(l.stations);
  if (!s) return h('div', { class: 'block station', id: 'card-station' }, h('h3', {}, t('card.station')), h('p', { class: 'muted' }, t('card.nostation')));
  const walkM = s.walking_distance_m ?? s.network_distance_m;
  const how = Number.isFinite(s.walking_minutes)
    ? (Number.isFinite(walkM)
      ? t('card.walk.distance', { minutes: num(s.walking_minutes), distance: distance(walkM) })
      : t('card.walk', { minutes: num(s.walking_minutes) }))
    : t('card.straight', { distance: distance(s.distance_m) });
  return h('div', { class: 'block station', id: 'card-station' },
    h('h3', {}, t('card.station')),
    h('p', { class: 'station-name' }, h('span', { class: `tier-dot ${s.tier}`, 'aria-hidden': 'true' }), s.name,
      h('span', { class: 'tier' }, t(`tier.${s.tier}`))),
    h('p', { class: 'walk', id: 'card-walk' }, how),
    s.opening_hours && h('p', { class: 'muted' }, t('card.hours', { hours: s.opening_hours })),
    !Number.isFinite(s.walking_minutes) && h('p', { class: 'note' }, t('card.straight.note')));
}
