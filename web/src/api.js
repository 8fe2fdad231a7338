// The server's public JSON API (no sign-in). Requests go through http.js;
// errors throw its ApiError with the server's stable `code`
// (`not_in_grid`, `no_such_building`, …).

import { getJson as get } from './http.js';

/** Buildings whose name or address contains q. */
export const searchBuildings = (q, limit, signal) =>
  get(`/api/buildings/search?q=${encodeURIComponent(q)}&limit=${limit}`, { signal }).then((b) => b.results);

/** One building's public card. */
export const building = (id) => get(`/api/buildings/${encodeURIComponent(id)}`);

/**
 * The grid, its public contacts and the nearest stations at a point.
 * Stations may carry `walking_minutes` and a GeoJSON `route` once the
 * coverage engine is wired in.
 */
export const lookup = (lon, lat, signal) =>
  get(`/api/lookup?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`, { signal });

/** Version and counts (no household figures). */
export const health = () => get('/health');
