// Entry point: picks the page from the location and mounts it in #app.
// The planner's and the official's pages load on demand, so a resident's
// phone never downloads them.

import { t, translate } from './i18n.js';
import { header } from './header.js';
import { homePage } from './pages/home/page.js';
import { findPage } from './pages/find/page.js';

function route(path) {
  const b = path.match(/^\/b\/(\d+)\/?$/);
  if (b) return { nav: '/find', title: 'title.find', mount: (el) => findPage(el, { building: b[1] }) };
  switch (path.replace(/\/+$/, '') || '/') {
    case '/find': return { nav: '/find', title: 'title.find', mount: (el) => findPage(el, {}) };
    case '/plan': return { nav: '/plan', title: 'title.plan', mount: (el) => import('./pages/plan/page.js').then((m) => m.planPage(el)) };
    case '/coverage': return { nav: '/coverage', title: 'title.coverage', mount: (el) => import('./pages/coverage/page.js').then((m) => m.coveragePage(el)) };
    default: return { nav: '/', title: 'title.home', mount: (el) => homePage(el) };
  }
}

const app = document.getElementById('app');
const page = route(location.pathname);
const main = document.createElement('main');
app.replaceChildren(header(page.nav), main);
document.body.dataset.page = page.nav.slice(1) || 'home';
const setTitle = () => { document.title = t(page.title); };
setTitle();
window.addEventListener('langchange', setTitle);
Promise.resolve(page.mount(main)).then(() => translate(main));
