// Building QR codes really decode (jsQR) to the building's landing page,
// and that page opens the building's card; the A4 sheet of a grid holds a
// decodable code per building and is only for a signed-in planner of the
// grid's community. Screenshots: tests/artifacts/qr-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import jsQR from 'jsqr';
import { appPage, artifacts, launch, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Draw an image URL of the server onto a canvas (w × h px) and read back the crop. */
async function pixels(page, url, w, h, crop = [0, 0, w, h]) {
  const { data, width, height } = await page.evaluate(async ([u, w, h, crop]) => {
    const img = new Image();
    img.src = u;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(img, 0, 0, w, h);
    const d = ctx.getImageData(...crop);
    return { data: Array.from(d.data), width: d.width, height: d.height };
  }, [url, w, h, crop]);
  return { data: Uint8ClampedArray.from(data), width, height };
}

function decode({ data, width, height }) {
  return jsQR(data, width, height)?.data ?? null;
}

test('a building QR code (SVG and PNG) decodes to /b/{id}, which opens its card', async () => {
  const { results } = await (await fetch(`${server.base}/api/buildings/search?q=${encodeURIComponent('金贸大厦')}`)).json();
  const b = results[0];
  const { context, page, problems } = await appPage(browser);
  try {
    await page.goto(`${server.base}/`);
    // 60 × 80 mm SVG at 8 px/mm; the code is the top 60 × 60 mm.
    const svg = await pixels(page, `/api/buildings/${b.id}/qr.svg`, 480, 640, [0, 0, 480, 480]);
    assert.equal(decode(svg), `${server.base}/b/${b.id}`);
    const png = await pixels(page, `/api/buildings/${b.id}/qr.png?scale=6`, 300, 300);
    assert.equal(decode(png), `${server.base}/b/${b.id}`);
    const label = await (await fetch(`${server.base}/api/buildings/${b.id}/qr.svg`)).text();
    assert.ok(label.includes(b.name), 'labelled with the building name');
    assert.ok(label.includes(`编号 ${b.id}`), 'labelled with the id');
    await page.goto(decode(svg));
    await page.waitForSelector('#card:not([hidden]) #card-grid');
    assert.equal(await page.locator('#card-title').innerText(), b.name);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the QR sheet of a grid has one decodable, labelled code per building on A4 pages', async () => {
  const { results } = await (await fetch(`${server.base}/api/buildings/search?q=${encodeURIComponent('大厦')}&limit=100`)).json();
  const { grid, community } = results[0];
  const sheetUrl = `${server.base}/api/grids/${grid.id}/qr-sheet.svg`;
  const anonymous = await fetch(sheetUrl);
  assert.equal(anonymous.status, 401, 'the sheet is not public');
  assert.equal((await anonymous.json()).code, 'unauthenticated');
  const password = 'qr sheet planner 123';
  server.cli(['user', 'add', 'qr-planner', '--role', 'planner', '--communities', String(community.id), '--password-stdin'], `${password}\n`);
  const token = server.cli(['token', 'create', '--user', 'qr-planner', '--label', 'browser test']).trim();
  const sheet = await (await fetch(sheetUrl, { headers: { Authorization: `Bearer ${token}` } })).text();
  const codes = (sheet.match(/<path /g) ?? []).length;
  assert.ok(codes > 0);
  const pages = (sheet.match(/<g>/g) ?? []).length;
  assert.equal(pages, Math.ceil(codes / 12));
  assert.ok(sheet.includes(grid.code) && sheet.includes(grid.name), 'headed with the grid');
  for (const r of results.filter((x) => x.grid?.id === grid.id)) {
    assert.ok(sheet.includes(`编号 ${r.id} `), `building ${r.id} of the grid is on the sheet`);
  }
  assert.ok(!/households|户数/i.test(sheet));
  const { context, page, problems } = await appPage(browser, { viewport: { width: 794, height: 1123 } });
  try {
    await page.goto(`${server.base}/`);
    // The planner signs in (session cookie); the page's <img> then loads the sheet.
    const login = await page.request.post(`${server.base}/api/auth/login`, { data: { username: 'qr-planner', password } });
    assert.equal(login.status(), 200);
    // Page 1 at 5 px/mm: 1050 × 1485 px; the first cell is at (12, 28) mm, 62 × 62.75 mm.
    const first = await pixels(page, `/api/grids/${grid.id}/qr-sheet.svg?page=1`, 1050, 1485, [60, 140, 310, 314]);
    const url = decode(first);
    assert.match(url ?? '', new RegExp(`^${server.base}/b/\\d+$`));
    const id = Number(url.split('/').pop());
    const building = await (await fetch(`${server.base}/api/buildings/${id}`)).json();
    assert.equal(building.grid.id, grid.id, 'the code is of a building in this grid');
    await page.goto(`${server.base}/api/grids/${grid.id}/qr-sheet.svg?page=1`);
    await page.screenshot({ path: path.join(artifacts, 'qr-sheet.png') });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
