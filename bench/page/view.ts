// The benchmark page's DOM: the environment card, the configuration form, the status and
// log, the roofs, the results table and the kernel table. main.ts decides when.

import { CASES, caseLabel, selectCases, type BenchCase } from '../cases/index';
import { AGREE_TOLERANCE, fmtMs, type Row } from '../harness';
import type { StepProfile } from '../kernel-times';
import type { Roofs } from '../roofline';
import { PEER_IDS, type PageConfig, type PeerId } from './config';
import { KEY_FEATURES, adapterName, type AdapterSummary } from './env';

export const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

export type State = 'idle' | 'running' | 'done' | 'error';

/** The status line; `data-state` tells bench/browser.mjs where the run is. */
export function setStatus(text: string, state: State): void {
  const s = byId('status');
  s.textContent = text;
  s.dataset.state = state;
}

/** Appends a line to the log and shows it as the current progress. */
export function logLine(text: string): void {
  console.info(`[bench] ${text}`); // bench/browser.mjs forwards these to its stderr
  byId('progress').textContent = text.trim();
  const log = byId('log');
  log.textContent += `${text}\n`;
}

export interface EnvInfo {
  adapter: AdapterSummary | null;
  problem: string | null;
  browser: string;
  webgrad: string;
  kernelProfile: string;
}

export function showEnv(env: EnvInfo): void {
  const dl = byId('env');
  dl.replaceChildren();
  const item = (term: string, ...value: (string | Node)[]) => {
    const dd = el('dd');
    dd.append(...value);
    dl.append(el('dt', term), dd);
  };
  if (env.adapter) {
    const a = env.adapter;
    item('adapter', `${adapterName(a)}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`);
    const feats = el('span');
    for (const f of KEY_FEATURES) feats.append(el('span', `${a.features.includes(f) ? '✓' : '✗'} ${f}`, a.features.includes(f) ? 'yes' : 'no'), ' ');
    if (a.subgroupMinSize !== null) feats.append(el('span', `subgroup size ${a.subgroupMinSize}–${a.subgroupMaxSize}`, 'plain'));
    item('features', feats);
    item('all features', a.features.join(', ') || 'none');
    item('limits', Object.entries(a.limits).map(([k, v]) => `${k} ${v >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(0)} MiB` : v}`).join(' · '));
  } else {
    item('adapter', el('strong', env.problem ?? 'none', 'problem'));
  }
  item('browser', env.browser);
  item('webgrad', env.webgrad);
  item('kernel profile', env.kernelProfile);
}

/** Builds the form from the case list and fills it from `c`. */
export function renderConfig(c: PageConfig): void {
  const box = byId('case-list');
  box.replaceChildren();
  const names = c.cases.split(',').map((s) => s.trim()).filter(Boolean);
  const sizes = c.sizes.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const filter = c.filter.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const k of CASES) {
    const id = `case-${CASES.indexOf(k)}`;
    const label = el('label');
    const input = el('input');
    input.type = 'checkbox';
    input.id = id;
    input.dataset.index = String(CASES.indexOf(k));
    input.checked =
      (names.length === 0 || names.includes(k.name)) &&
      (sizes.length === 0 || sizes.some((w) => k.size.toLowerCase().includes(w))) &&
      (filter.length === 0 || filter.some((w) => caseLabel(k).toLowerCase().includes(w)));
    label.append(input, ` ${k.name} `, el('small', k.size));
    box.append(label);
  }
  const form = byId<HTMLFormElement>('config');
  const set = (name: string, v: string | boolean) => {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    if (typeof v === 'boolean') input.checked = v;
    else input.value = v;
  };
  set('runs', String(c.runs));
  set('minBatchMs', String(c.minBatchMs));
  set('maxIters', String(c.maxIters));
  for (const p of PEER_IDS) set(`peer-${p}`, c.peers.includes(p));
  set('check', c.check);
  set('roofs', c.roofs);
  set('kernels', c.kernels);
}

/** The shortest leading words of a case's label that select it alone ("relu 1M", "add"):
 *  what the page's filter= and `npm run bench -- --filter` take, kept readable in a URL. */
function shortestFilter(c: BenchCase): string {
  const parts = caseLabel(c).split(' ');
  for (let n = 1; n < parts.length; n++) {
    const prefix = parts.slice(0, n).join(' ');
    const hit = selectCases({ filter: prefix });
    if (hit.length === 1 && hit[0] === c) return prefix;
  }
  return caseLabel(c);
}

/** The configuration the form shows; a bad number throws a message naming the field. */
export function readConfig(base: PageConfig): PageConfig {
  const form = byId<HTMLFormElement>('config');
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const num = (name: 'runs' | 'minBatchMs' | 'maxIters', integer: boolean) => {
    const v = Number(input(name).value);
    const ok = input(name).value.trim() !== '' && Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v));
    const hint = input(name).parentElement!.querySelector('small.error')!;
    hint.textContent = ok ? '' : `a positive ${integer ? 'whole ' : ''}number`;
    if (!ok) throw new Error(`${name}: expected a positive ${integer ? 'whole ' : ''}number, got '${input(name).value}'`);
    return v;
  };
  const boxes = Array.from(byId('case-list').querySelectorAll<HTMLInputElement>('input[type=checkbox]'));
  const chosen = boxes.filter((b) => b.checked);
  if (chosen.length === 0) throw new Error('choose at least one case');
  const all = chosen.length === boxes.length;
  const filter = all ? '' : chosen.map((b) => shortestFilter(CASES[Number(b.dataset.index)]!)).join(',');
  return {
    ...base,
    cases: '',
    sizes: '',
    filter,
    runs: num('runs', true),
    minBatchMs: num('minBatchMs', false),
    maxIters: num('maxIters', true),
    peers: PEER_IDS.filter((p) => input(`peer-${p}`).checked) as PeerId[],
    check: input('check').checked,
    roofs: input('roofs').checked,
    kernels: input('kernels').checked,
  };
}

export function showRoofs(r: Roofs | null, note: string): void {
  byId('roofs').textContent = r
    ? `Roofs on this adapter: ${r.gflops.toFixed(r.gflops < 100 ? 2 : 0)} GFLOP/s peak f32 multiply-add, ` +
      `${r.gbps.toFixed(r.gbps < 100 ? 2 : 0)} GB/s copy and ${r.readGbps.toFixed(r.readGbps < 100 ? 2 : 0)} GB/s read bandwidth at the cases' size ` +
      `(copy ${r.memoryGbps.toFixed(r.memoryGbps < 100 ? 2 : 0)} GB/s beyond the caches). A case's roof % = max(FLOP / peak, bytes / bandwidth) ` +
      `over its median time, the read bandwidth for cases that only read. (${r.detail})`
    : note;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);

function checkCell(err: number | null | undefined): HTMLTableCellElement {
  const td = el('td');
  if (err === null || err === undefined) td.textContent = '—';
  else {
    const ok = err <= AGREE_TOLERANCE;
    td.textContent = `${ok ? '✓' : '✗'} ${err === 0 ? '0' : err.toExponential(0)}`;
    td.className = ok ? 'ok' : 'bad';
    td.title = 'max |x − cpu| / max |cpu| against webgrad\'s CPU reference backend';
  }
  return td;
}

/** The results table: one line per case, the peers side by side. */
export function showResults(rows: Row[]): void {
  const peers = [...new Set(rows.map((r) => r.peerName).filter((p) => p !== 'none'))];
  const head = byId('results-head');
  const top = el('tr');
  top.append(el('th', 'case'), el('th', 'size'));
  const ours = el('th', 'webgrad');
  ours.colSpan = 5;
  top.append(ours);
  for (const p of peers) {
    const th = el('th', p);
    th.colSpan = 5;
    top.append(th);
  }
  top.append(el('th', 'notes'));
  const sub = el('tr');
  sub.append(el('th'), el('th'));
  for (const h of ['ms', 'GFLOP/s', 'roof', 'vs CPU', 'leak']) sub.append(el('th', h));
  for (let i = 0; i < peers.length; i++) for (const h of ['ms', 'ratio', 'roof', 'vs CPU', 'leak']) sub.append(el('th', h));
  sub.append(el('th'));
  head.replaceChildren(top, sub);

  const body = byId('results-body');
  body.replaceChildren();
  const cases = [...new Set(rows.map((r) => `${r.name}\u0000${r.size}`))];
  for (const key of cases) {
    const [name, size] = key.split('\u0000') as [string, string];
    const mine = rows.filter((r) => r.name === name && r.size === size);
    const first = mine[0]!;
    const tr = el('tr');
    const leak = (n: number | null | undefined) => el('td', n === null || n === undefined ? '—' : String(n), n ? 'bad' : '');
    tr.append(el('td', name), el('td', size), el('td', fmtMs(first.ours), 'num'));
    tr.append(el('td', first.oursGflops === undefined || first.oursGflops === null ? '' : first.oursGflops.toFixed(2), 'num'));
    tr.append(el('td', pct(first.oursRoof), 'num'), checkCell(first.oursVsCpu), leak(first.oursLeak));
    for (const p of peers) {
      const r = mine.find((x) => x.peerName === p);
      tr.append(el('td', fmtMs(r?.peer), 'num'));
      const ratio = el('td', r?.ratio === null || r?.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`, 'num');
      if (r?.ratio) ratio.classList.add(r.ratio >= 1 ? 'faster' : 'slower');
      tr.append(ratio, el('td', pct(r?.peerRoof), 'num'), checkCell(r?.peerVsCpu), leak(r?.peerLeak));
    }
    tr.append(el('td', [...new Set(mine.map((r) => r.note).filter(Boolean))].join('; '), 'note'));
    body.append(tr);
  }
}

export function showKernelTable(p: StepProfile | null, stepMs: number | null, note: string): void {
  const box = byId('kernel-table');
  if (!p) {
    box.replaceChildren(el('p', note, 'placeholder'));
    return;
  }
  const table = el('table');
  const head = el('tr');
  for (const h of ['', 'kernel', 'calls', 'ms per step', 'share']) head.append(el('th', h));
  table.append(head);
  for (const [i, k] of p.kernels.entries()) {
    const tr = el('tr');
    tr.append(el('td', `${i + 1}.`, 'num'), el('td', k.kernel), el('td', String(k.calls), 'num'), el('td', fmtMs(k.ms), 'num'), el('td', pct(k.ms / p.totalMs), 'num'));
    table.append(tr);
  }
  const how = p.timing === 'timestamp-query' ? 'timestamp queries around' : 'CPU-timed submits of';
  const summary =
    `${p.dispatches} dispatches and ${p.copies} copies per step; kernels sum to ${fmtMs(p.totalMs)} ms` +
    (stepMs !== null ? ` of a ${fmtMs(stepMs)} ms step (median, submit to done)` : '') +
    `. Each dispatch replayed alone ${p.repeats}× (${how} the replays).`;
  box.replaceChildren(el('p', summary, 'note'), table);
}
