// `/plan` and `/coverage` until their engines land: the shared map with a
// "coming" notice, so the routes and the layout exist.

import { h } from '../dom.js';
import { translate } from '../i18n.js';
import { createMap } from '../map.js';

export function comingPage(main, which) {
  main.className = 'mapped coming';
  const map = h('div', { id: 'map', class: 'map' });
  main.append(map,
    h('aside', { class: 'panel notice', role: 'status' },
      h('h1', { 'data-i18n': `coming.${which}.title` }),
      h('p', { 'data-i18n': `coming.${which}.text` }),
      h('a', { class: 'button', href: '/find', 'data-i18n': 'coming.back' })));
  createMap(map);
  window.addEventListener('langchange', () => translate(main));
}
