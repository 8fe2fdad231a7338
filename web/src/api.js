// The server's public JSON API. Errors come back as ApiError with the
// server's stable `code` (`not_in_grid`, `no_such_building`, …).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function get(path, signal) {
  let r;
  try {
    r = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message);
  }
  let body = null;
  try {
    body = await r.json();
  } catch {
    // not JSON
  }
  if (!r.ok) throw new ApiError(r.status, body?.code ?? 'http', body?.message ?? `HTTP ${r.status}`);
  return body;
}

/** Buildings whose name or address contains q. */
export const searchBuildings = (q, limit, signal) =>
  get(`/api/buildings/search?q=${encodeURIComponent(q)}&limit=${limit}`, signal).then((b) => b.results);

/** One building's public card. */
export const building = (id) => get(`/api/buildings/${encodeURIComponent(id)}`);

/**
 * The grid, its public contacts and the nearest stations at a point.
 * Stations may carry `walking_minutes` and a GeoJSON `route` once the
 * coverage engine is wired in.
 */
export const lookup = (lon, lat, signal) =>
  get(`/api/lookup?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`, signal);

/** Version and counts (no household figures). */
export const health = () => get('/health');
