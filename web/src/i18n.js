// Localisation: the zh-CN (default) and English dictionaries (in
// locales/), the language switch (persisted in localStorage, `?lang=en`
// also works) and number formats through Intl. Every user-visible string
// goes through t(); a failed request's through errorText().

import zh from './locales/zh-CN.js';
import en from './locales/en.js';

const STORAGE_KEY = 'gridmap.lang';
export const LANGS = ['zh-CN', 'en'];

const dictionaries = { 'zh-CN': zh, en };

function initial() {
  const fromQuery = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(fromQuery)) return fromQuery;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    // storage blocked: default language
  }
  return 'zh-CN';
}

let current = initial();
document.documentElement.lang = current;

export function lang() {
  return current;
}

/** Switch language, persist it, and tell the pages (`langchange` on window). */
export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not persisted; still switched for this page
  }
  document.documentElement.lang = next;
  window.dispatchEvent(new CustomEvent('langchange', { detail: next }));
}

/** The text of `key` in the current language, with `{name}` filled from vars. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? dictionaries['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Whether the dictionaries have `key`. */
export function has(key) {
  return key in dictionaries[current] || key in dictionaries['zh-CN'];
}

/**
 * What to show for a failed request (an ApiError of http.js): the text of
 * `error.{code}` when the dictionaries have one (`error.network` for a
 * request that got no answer), else the server's message.
 */
export function errorText(err) {
  const key = `error.${err?.code}`;
  if (err?.code && has(key)) return t(key, { message: err.message ?? '' });
  return err?.message ?? String(err);
}

/** A localised number. */
export function num(n, digits = 0) {
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(n);
}

/** A localised distance: metres below 1 km, else kilometres. */
export function distance(m) {
  return m < 1000 ? t('unit.m', { n: num(Math.round(m)) }) : t('unit.km', { n: num(m / 1000, 1) });
}

/** Fill every `[data-i18n]` element below root with its text (and `data-i18n-placeholder` etc.). */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
    }
  }
}
