// The plan API the planner drives (see server/src/api/plans.rs).
// Every write carries the plan version it was made on; a stale one throws
// ApiError `stale_version` with `body.current_version`; publishing a draft
// made before another publish throws `base_changed` with what that changed.

import { getJson, postJson } from '../../http.js';

const p = (id) => `/api/plans/${encodeURIComponent(id)}`;

export const communities = () => getJson('/api/communities').then((r) => r.communities);
export const rules = (community) => getJson(`/api/communities/${encodeURIComponent(community)}/rules`).then((r) => r.rules);
export const plans = (community) => getJson(`/api/plans?community=${encodeURIComponent(community)}`).then((r) => r.plans);
export const create = (community_id, name, from) => postJson('/api/plans', { community_id, name, from: from ?? undefined });
export const view = (id) => getJson(p(id));
export const layers = (id) => getJson(`${p(id)}/layers`);
export const validate = (id) => getJson(`${p(id)}/validate`);
export const diff = (a, b) => getJson(`${p(a)}/diff/${encodeURIComponent(b)}`);

/** Writes: `edits`, `undo`, `redo`, `partition`, `publish`, `rebase` with the body (version included). */
export const write = (id, what, body) => postJson(`${p(id)}/${what}`, body);

export const exportUrl = (id, ext) => `${p(id)}/export.${ext}`;
