// The header every page shares: name, navigation and the language switch.

import { h } from './dom.js';
import { lang, setLang, translate } from './i18n.js';
import { userBadge } from './session.js';

const NAV = [
  ['/find', 'nav.find'],
  ['/plan', 'nav.plan'],
  ['/coverage', 'nav.coverage'],
];

export function header(active) {
  const button = h('button', {
    type: 'button', class: 'lang', id: 'lang-switch',
    'data-i18n': 'lang.switch', 'data-i18n-title': 'lang.switch.title',
    onclick: () => setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN'),
  });
  const el = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '/' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }),
      h('span', { 'data-i18n': 'app.name' })),
    h('nav', { class: 'nav' },
      NAV.map(([href, key]) => h('a', { href, class: href === active ? 'active' : null, 'aria-current': href === active ? 'page' : null, 'data-i18n': key }))),
    active === '/find' ? null : userBadge(),
    button);
  translate(el);
  window.addEventListener('langchange', () => translate(el));
  return el;
}
