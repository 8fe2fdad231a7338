// The layout of web/src the README describes: one folder per page with its
// entry in page.js, every request through http.js, and every relative
// import and preload pointing at a file that exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const src = path.resolve(import.meta.dirname, '../src');

/** Every file below dir, as paths relative to src with `/`. */
function files(dir = src) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [path.relative(src, full).split(path.sep).join('/')];
  });
}
const scripts = files().filter((f) => f.endsWith('.js'));
/** Source text without comments (a comment may mention fetch). */
const code = (f) => readFileSync(path.join(src, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

test('every page is a folder under pages/ with its entry in page.js, and nothing else is there', () => {
  const pages = path.join(src, 'pages');
  const loose = readdirSync(pages).filter((n) => !statSync(path.join(pages, n)).isDirectory());
  assert.deepEqual(loose, [], 'files directly in pages/ (each belongs in its page folder)');
  for (const page of readdirSync(pages)) {
    assert.ok(existsSync(path.join(pages, page, 'page.js')), `pages/${page}/page.js`);
  }
});

test('only http.js calls fetch (every request goes through its wrapper)', () => {
  const callers = scripts.filter((f) => f !== 'http.js' && /(^|[^\w.])fetch\s*\(|\bwindow\.fetch\b|\bglobalThis\.fetch\b|XMLHttpRequest/.test(code(f)));
  assert.deepEqual(callers, [], 'modules that call fetch/XMLHttpRequest directly: use http.js');
});

test('every relative import and dynamic import points at a file that exists', () => {
  const broken = [];
  for (const f of scripts) {
    const text = code(f);
    const specs = [
      ...text.matchAll(/^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*'([^']+)'/gm),
      ...text.matchAll(/^\s*import\s*'([^']+)'/gm),
      ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]);
    for (const spec of specs) {
      if (!spec.startsWith('.')) {
        broken.push(`${f}: ${spec} (only relative imports; nothing is bundled)`);
        continue;
      }
      const target = path.join(path.dirname(path.join(src, f)), spec);
      if (!target.startsWith(src + path.sep) || !existsSync(target)) broken.push(`${f}: ${spec}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(scripts.length > 20 && broken.length === 0);
});

test("index.html's links and preloads point at files that exist", () => {
  const html = readFileSync(path.join(src, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:href|src)="\{\{BASE\}\}\/([^"]+)"/g)].map((m) => m[1]).filter((r) => !r.startsWith('vendor/'));
  assert.ok(refs.includes('main.js'));
  const missing = refs.filter((r) => !existsSync(path.join(src, r)));
  assert.deepEqual(missing, []);
});
