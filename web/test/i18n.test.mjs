// The zh-CN and en dictionaries have exactly the same keys, and each key
// the same {placeholders} in both. Plain data modules: no browser needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import zh from '../src/locales/zh-CN.js';
import en from '../src/locales/en.js';

const dictionaries = { 'zh-CN': zh, en };

/** The sorted, distinct `{name}` placeholders of a text. */
const placeholders = (text) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

test('no key is written twice in a dictionary (the second would silently win)', () => {
  const twice = [];
  for (const name of Object.keys(dictionaries)) {
    const text = readFileSync(new URL(`../src/locales/${name}.js`, import.meta.url), 'utf8');
    const seen = new Set();
    for (const [, key] of text.matchAll(/^\s*'([^']+)'\s*:/gm)) {
      if (seen.has(key)) twice.push(`${name}: ${key}`);
      seen.add(key);
    }
    assert.equal(seen.size, Object.keys(dictionaries[name]).length, `${name}: keys in the source vs the module`);
  }
  assert.deepEqual(twice, [], `keys written twice:\n  ${twice.join('\n  ')}`);
});

test('every value is a non-empty string', () => {
  const bad = [];
  for (const [name, dict] of Object.entries(dictionaries)) {
    for (const [key, value] of Object.entries(dict)) {
      if (typeof value !== 'string' || !value.trim()) bad.push(`${name}: ${key}`);
    }
  }
  assert.deepEqual(bad, [], `empty or non-string entries:\n  ${bad.join('\n  ')}`);
});

test('zh-CN and en have the same keys', () => {
  const missing = [];
  for (const [name, dict] of Object.entries(dictionaries)) {
    for (const [other, otherDict] of Object.entries(dictionaries)) {
      if (other === name) continue;
      for (const key of Object.keys(otherDict)) {
        if (!Object.hasOwn(dict, key)) missing.push(`missing in ${name}: ${key} (${other}: ${JSON.stringify(otherDict[key])})`);
      }
    }
  }
  assert.deepEqual(missing, [], `${missing.length} key(s) not in both dictionaries:\n  ${missing.join('\n  ')}`);
});

test('each key has the same {placeholders} in zh-CN and en', () => {
  const differ = [];
  for (const key of Object.keys(zh)) {
    if (!Object.hasOwn(en, key)) continue; // reported by the test above
    const a = placeholders(zh[key]);
    const b = placeholders(en[key]);
    if (a.join() !== b.join()) differ.push(`${key}: zh-CN {${a.join('}, {')}} vs en {${b.join('}, {')}}`);
  }
  assert.deepEqual(differ, [], `${differ.length} key(s) with different placeholders:\n  ${differ.join('\n  ')}`);
});
