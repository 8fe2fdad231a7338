// `/`: what gridmap is, and the three user pages.

import { h } from '../../dom.js';
import { num, t, translate } from '../../i18n.js';
import * as api from '../../api.js';

const CARDS = [
  ['/find', 'home.find.title', 'home.find.text', 'resident'],
  ['/plan', 'home.plan.title', 'home.plan.text', 'planner'],
  ['/coverage', 'home.coverage.title', 'home.coverage.text', 'official'],
];

export function homePage(main) {
  main.className = 'home';
  const counts = h('p', { class: 'counts', id: 'counts' });
  let data = null;
  const showCounts = () => {
    if (data) counts.textContent = t('home.counts', Object.fromEntries(
      ['communities', 'grids', 'buildings', 'stations'].map((k) => [k, num(data[k])])));
  };
  api.health().then((health) => { data = health.counts; showCounts(); }).catch(() => {});
  main.append(
    h('section', { class: 'hero' },
      h('h1', { 'data-i18n': 'app.name' }),
      h('p', { class: 'tagline', 'data-i18n': 'app.tagline' }),
      counts),
    h('section', { class: 'choices' },
      CARDS.map(([href, title, text, kind]) => h('a', { class: `choice ${kind}`, href },
        h('h2', { 'data-i18n': title }),
        h('p', { 'data-i18n': text }),
        h('span', { class: 'open', 'data-i18n': 'home.open' })))),
    h('footer', { class: 'footer', 'data-i18n': 'footer.osm' }));
  window.addEventListener('langchange', () => { translate(main); showCounts(); });
}
