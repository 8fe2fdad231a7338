// Localisation: zh-CN (default) and English dictionaries, the language
// switch (persisted in localStorage, `?lang=en` also works) and number
// formats through Intl. Every user-visible string goes through t().

const STORAGE_KEY = 'gridmap.lang';
export const LANGS = ['zh-CN', 'en'];

const zh = {
  'app.name': '网格地图',
  'app.tagline': '社区网格化管理：找网格、找网格员、找服务站',
  'nav.find': '找网格',
  'nav.plan': '网格规划',
  'nav.coverage': '服务覆盖',
  'nav.home': '首页',
  'lang.switch': 'English',
  'lang.switch.title': 'Switch to English',
  'title.home': '网格地图',
  'title.find': '找网格 · 网格地图',
  'title.plan': '网格规划 · 网格地图',
  'title.coverage': '服务覆盖 · 网格地图',
  'home.find.title': '居民：找我的网格',
  'home.find.text': '搜索楼栋或地址、使用定位或点击地图，查看所在网格、网格员电话和最近的服务站。',
  'home.plan.title': '规划人员：划分网格',
  'home.plan.text': '按网格划分规则在地图上调整网格，实时检查，发布新方案。',
  'home.coverage.title': '管理人员：服务覆盖',
  'home.coverage.text': '查看服务站点 15 分钟步行覆盖情况和覆盖缺口。',
  'home.counts': '{communities} 个社区 · {grids} 个网格 · {buildings} 栋楼 · {stations} 个服务站点',
  'home.open': '进入',
  'footer.osm': '地图数据 © OpenStreetMap 贡献者（ODbL）',
  'search.label': '搜索楼栋或地址',
  'search.placeholder': '输入楼名或地址，如：金贸大厦',
  'search.button': '搜索',
  'search.none': '没有找到“{q}”，请换个关键词，或直接点击地图。',
  'search.failed': '搜索失败：{message}',
  'search.hint': '也可以点击地图上的位置，或使用定位。',
  'search.unnamed': '楼栋 {id}',
  'locate.button': '我的位置',
  'locate.busy': '正在定位…',
  'locate.denied': '无法使用定位：您拒绝了位置权限。可以搜索地址或点击地图。',
  'locate.unavailable': '暂时无法获取您的位置。可以搜索地址或点击地图。',
  'locate.timeout': '定位超时，请重试，或搜索地址。',
  'locate.unsupported': '此浏览器或此连接（需 HTTPS）不支持定位。可以搜索地址或点击地图。',
  'card.close': '关闭',
  'card.place': '所选位置',
  'card.loading': '正在查询…',
  'card.grid': '所在网格',
  'card.community': '社区',
  'card.code': '网格编码',
  'card.dedicated': '专属网格',
  'card.contacts': '联系人',
  'card.call': '拨打',
  'card.nophone': '暂无电话',
  'card.nocontacts': '此网格暂未登记联系人。',
  'card.station': '最近的服务站',
  'card.walk': '步行约 {minutes} 分钟',
  'card.walk.distance': '步行约 {minutes} 分钟（{distance}）',
  'card.straight': '直线距离 {distance}',
  'card.straight.note': '步行时间和路线将在覆盖分析上线后显示。',
  'card.hours': '开放时间：{hours}',
  'card.nostation': '附近没有登记的服务站。',
  'card.sample': '示例数据：人员姓名和电话均为虚构。',
  'card.notingrid': '此位置不在任何网格内。',
  'card.nobuilding': '未找到编号为 {id} 的楼栋。',
  'card.failed': '查询失败：{message}',
  'role.grid_worker': '网格员',
  'role.grid_leader': '网格长',
  'role.building_steward': '楼栋长',
  'tier.centre': '党群服务中心',
  'tier.station': '党群服务站',
  'tier.point': '党群服务点',
  'unit.m': '{n} 米',
  'unit.km': '{n} 公里',
  'coming.plan.title': '网格规划即将上线',
  'coming.plan.text': '按划分规则自动划分和手动调整网格、实时检查、发布方案的功能正在开发中。',
  'coming.coverage.title': '服务覆盖分析即将上线',
  'coming.coverage.text': '各网格 5/10/15 分钟步行覆盖率、覆盖缺口和新站点选址建议正在开发中。',
  'coming.back': '先去找网格',
  'login.title': '登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.logout': '退出登录',
  'login.invalid': '用户名或密码错误。',
  'login.limited': '登录失败次数过多，请稍后再试。',
  'login.failed': '登录失败：{message}',
  'login.plan': '网格规划需要规划人员账号登录。',
  'login.coverage': '服务覆盖分析需要管理人员账号登录。',
  'role.admin': '管理员',
  'role.official': '管理人员',
  'role.planner': '规划人员',
  'role.grid_worker_user': '网格员账号',
  'error.network': '网络错误',
};

const en = {
  'app.name': 'gridmap',
  'app.tagline': 'Community grid governance: find your grid, your grid worker and the nearest service station',
  'nav.find': 'Find my grid',
  'nav.plan': 'Planning',
  'nav.coverage': 'Coverage',
  'nav.home': 'Home',
  'lang.switch': '中文',
  'lang.switch.title': '切换到中文',
  'title.home': 'gridmap',
  'title.find': 'Find my grid · gridmap',
  'title.plan': 'Planning · gridmap',
  'title.coverage': 'Coverage · gridmap',
  'home.find.title': 'Residents: find my grid',
  'home.find.text': 'Search a building or address, use your location or tap the map to see your grid, your grid worker\'s phone and the nearest service station.',
  'home.plan.title': 'Planners: draw grids',
  'home.plan.text': 'Redraw grids on the map under the sizing rules, with live checks, and publish a new plan.',
  'home.coverage.title': 'Officials: station coverage',
  'home.coverage.text': 'See which areas are within a 15-minute walk of a service station, and where the gaps are.',
  'home.counts': '{communities} communities · {grids} grids · {buildings} buildings · {stations} service stations',
  'home.open': 'Open',
  'footer.osm': 'Map data © OpenStreetMap contributors (ODbL)',
  'search.label': 'Search a building or address',
  'search.placeholder': 'Building or address',
  'search.button': 'Search',
  'search.none': 'Nothing found for “{q}”. Try other words, or tap the map.',
  'search.failed': 'Search failed: {message}',
  'search.hint': 'You can also tap a place on the map, or use your location.',
  'search.unnamed': 'Building {id}',
  'locate.button': 'My location',
  'locate.busy': 'Locating…',
  'locate.denied': 'Location is blocked: you denied the permission. Search an address or tap the map instead.',
  'locate.unavailable': 'Your location is not available right now. Search an address or tap the map instead.',
  'locate.timeout': 'Locating took too long. Try again, or search an address.',
  'locate.unsupported': 'This browser or connection (HTTPS is needed) cannot share your location. Search an address or tap the map instead.',
  'card.close': 'Close',
  'card.place': 'Selected place',
  'card.loading': 'Looking up…',
  'card.grid': 'Your grid',
  'card.community': 'Community',
  'card.code': 'Grid code',
  'card.dedicated': 'Dedicated grid',
  'card.contacts': 'Contacts',
  'card.call': 'Call',
  'card.nophone': 'No phone listed',
  'card.nocontacts': 'No contacts are registered for this grid yet.',
  'card.station': 'Nearest service station',
  'card.walk': 'About {minutes} min walk',
  'card.walk.distance': 'About {minutes} min walk ({distance})',
  'card.straight': '{distance} in a straight line',
  'card.straight.note': 'Walking time and route will appear once the coverage analysis is live.',
  'card.hours': 'Opening hours: {hours}',
  'card.nostation': 'No service station is registered nearby.',
  'card.sample': 'Sample data: the people\'s names and phone numbers are fictional.',
  'card.notingrid': 'This place lies in no grid.',
  'card.nobuilding': 'There is no building with number {id}.',
  'card.failed': 'Lookup failed: {message}',
  'role.grid_worker': 'Grid worker',
  'role.grid_leader': 'Grid leader',
  'role.building_steward': 'Building steward',
  'tier.centre': 'Service centre',
  'tier.station': 'Service station',
  'tier.point': 'Service point',
  'unit.m': '{n} m',
  'unit.km': '{n} km',
  'coming.plan.title': 'Grid planning is coming',
  'coming.plan.text': 'Automatic and hand-drawn grids under the sizing rules, with live checks and published plans, are being built.',
  'coming.coverage.title': 'Coverage analysis is coming',
  'coming.coverage.text': 'Each grid\'s 5/10/15-minute walking coverage, the gaps, and where a new station would help most are being built.',
  'coming.back': 'Find my grid meanwhile',
  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.logout': 'Sign out',
  'login.invalid': 'Wrong username or password.',
  'login.limited': 'Too many failed sign-ins. Wait a little and try again.',
  'login.failed': 'Sign-in failed: {message}',
  'login.plan': 'Grid planning needs a planner account.',
  'login.coverage': 'Coverage analysis needs an official\'s account.',
  'role.admin': 'Administrator',
  'role.official': 'Official',
  'role.planner': 'Planner',
  'role.grid_worker_user': 'Grid worker account',
  'error.network': 'network error',
};

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
