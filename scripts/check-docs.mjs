// `npm run check:docs`: builds the API reference (`npm run docs`: TypeDoc, typedoc.json) and
// fails on any TypeDoc warning or error: an export (or a member of one) without a TSDoc
// comment, a type that a public signature references but src/index.ts does not export (or
// that typedoc.json does not list as intentionallyNotExported: engine plumbing), a broken
// {@link}. Prints `docs: N passed, N failed`; exits 1 on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const r = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
const lines = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n');

// One entry per warning or error, with its tab-indented continuation lines (TypeDoc lists
// e.g. stale intentionallyNotExported names that way).
const problems = [];
for (const l of lines) {
  if (/^\[(warning|error)\]/.test(l)) {
    if (!/^\[warning\] Found \d+ errors/.test(l)) problems.push(l.replace(/^\[warning\] /, ''));
  } else if (/^\t/.test(l) && problems.length > 0) problems[problems.length - 1] += ` ${l.trim()}`;
}
const undocumented = problems.filter((p) => p.endsWith(', does not have any documentation'));
const notExported = problems.filter((p) => / is referenced by .* but not included in the documentation$/.test(p));
const other = problems.filter((p) => !undocumented.includes(p) && !notExported.includes(p));

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? '✓' : '✗'} ${name}${detail ? ` (${detail})` : ''}`);
}
const list = (items, hint) => `${items.length}: ${hint}\n    ${items.join('\n    ')}`;

// The checks below rely on TypeDoc's validation; a config that turned it off would pass them
// vacuously.
const validation = JSON.parse(readFileSync('typedoc.json', 'utf8')).validation ?? {};
check('typedoc.json validates notDocumented, notExported and invalidLink', ['notDocumented', 'notExported', 'invalidLink'].every((k) => validation[k] === true), JSON.stringify(validation));
check('npm run docs builds the reference in docs/api', r.status === 0 && existsSync('docs/api/index.html'), r.status === 0 ? '' : lines.slice(-5).join(' | '));
check('every exported symbol and member has a TSDoc comment', undocumented.length === 0,
  undocumented.length ? list(undocumented.map((p) => p.replace(/, does not have any documentation$/, '')), 'add a /** ... */ comment to each') : '');
check('every type a public signature references is exported', notExported.length === 0,
  notExported.length ? list(notExported, "export it from src/index.ts (and document it), or, for engine plumbing, add 'file:Name' to typedoc.json's intentionallyNotExported") : '');
check('no other TypeDoc warning (broken {@link}, stale intentionallyNotExported entry, ...)', other.length === 0, other.length ? list(other, 'fix each') : '');
console.log(`docs: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
