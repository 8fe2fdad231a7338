// Entry point: picks the page from the location and mounts it in #app.

import { t, translate } from './i18n.js';
import { header } from './header.js';
import { homePage } from './pages/home.js';
import { findPage } from './pages/find.js';
import { comingPage } from './pages/coming.js';
import { planPage } from './pages/plan.js';

function route(path) {
  const b = path.match(/^\/b\/(\d+)\/?$/);
  if (b) return { nav: '/find', title: 'title.find', mount: (el) => findPage(el, { building: b[1] }) };
  switch (path.replace(/\/+$/, '') || '/') {
    case '/find': return { nav: '/find', title: 'title.find', mount: (el) => findPage(el, {}) };
    case '/plan': return { nav: '/plan', title: 'title.plan', mount: (el) => planPage(el) };
    case '/coverage': return { nav: '/coverage', title: 'title.coverage', mount: (el) => comingPage(el, 'coverage') };
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
page.mount(main);
translate(main);
