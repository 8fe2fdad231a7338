// Number formats of the coverage page, in the current language.

import { lang, t } from '../../i18n.js';

const cache = new Map();
function formatter(digits) {
  const key = `${lang()}|${digits}`;
  if (!cache.has(key)) {
    cache.set(key, new Intl.NumberFormat(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return cache.get(key);
}

/** A whole number with the language's grouping (21,301). */
export const int = (n) => formatter(0).format(n);

/** A fixed-point number (one decimal by default). */
export const fixed = (n, digits = 1) => formatter(digits).format(n);

/** A share in % with one decimal, or a dash when there is nothing to share. */
export function pct(p) {
  return p === null || p === undefined || !Number.isFinite(p) ? '—' : t('cov.pct', { n: fixed(p, 1) });
}

/** households[i] / households × 100, or null for no households. */
export function share(part, whole) {
  return whole > 0 ? (part * 100) / whole : null;
}

/** Minutes as the language writes them (15 分钟 / 15 min). */
export const minutes = (m) => t('cov.minutes', { n: fixed(m, Number.isInteger(m) ? 0 : 1) });

/** Round a share to the one decimal shown (CSV cells and the tests use the same). */
export const round1 = (p) => (p === null || p === undefined ? null : Math.round(p * 10) / 10);
