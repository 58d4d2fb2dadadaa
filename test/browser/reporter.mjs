// Terminal output for run.mjs: one line per test (errors indented below it), the counts, and
// page stack traces mapped from the built bundle back to the sources (via the build's .map
// files and Node's own module.SourceMap, so no extra dependency).

import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';

export class Reporter {
  passed = 0;
  failed = 0;
  skipped = 0;
  #maps = new Map();

  /** @param {string} outDir the build's output directory; @param {string} repoRoot */
  constructor(outDir, repoRoot) {
    this.outDir = outDir;
    this.repoRoot = repoRoot;
  }

  /** @param {{file: string, name: string, status: string, ms: number, error?: string}} r */
  result(r) {
    const where = `${r.file} > ${r.name}`;
    if (r.status === 'pass') {
      this.passed++;
      console.log(`  ✓ ${where} (${Math.round(r.ms)} ms)`);
    } else if (r.status === 'fail') {
      this.failed++;
      console.log(`  ✗ ${where} (${Math.round(r.ms)} ms)`);
      console.log(indent(hideHarness(this.mapStack(r.error ?? 'failed without an error')), '      '));
    } else {
      this.skipped++;
      console.log(`  - ${where} [${r.status}]`);
    }
  }

  /** A failure outside any test (page crash, uncaught exception, timeout, missing WebGPU). */
  error(what, detail = '') {
    this.failed++;
    console.log(`  ✗ ${what}`);
    if (detail) console.log(indent(hideHarness(this.mapStack(detail)), '      '));
  }

  summary() {
    if (this.skipped > 0) console.log(`browser: ${this.skipped} skipped or todo`);
    console.log(`browser: ${this.passed} passed, ${this.failed} failed`);
  }

  /** Rewrites http://host/assets/x.js:line:col to src/file.ts:line:col where a map knows it. */
  mapStack(text) {
    return text.replace(/https?:\/\/[^/\s]+\/(assets\/[^\s:)]+\.js):(\d+):(\d+)/g, (whole, file, line, col) => {
      const map = this.#map(file);
      const entry = map?.findEntry(Number(line) - 1, Number(col) - 1);
      if (!entry || !entry.originalSource) return whole;
      const source = entry.originalSource.replace(/^file:\/\//, '');
      const path = relative(this.repoRoot, join(this.outDir, 'assets', source));
      return `${source.startsWith('/') ? relative(this.repoRoot, source) : path}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
  }

  #map(file) {
    if (!this.#maps.has(file)) {
      const path = join(this.outDir, `${file}.map`);
      this.#maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null);
    }
    return this.#maps.get(file);
  }
}

/** Drops the stack frames of the harness itself (test/browser/runner.ts, entry.ts). */
const hideHarness = (text) => text.split('\n').filter((l) => !/test\/browser\/(runner|entry)\.ts:\d/.test(l)).join('\n');
/** Assertion diffs come colored from the page; keep colors only on a terminal. */
const plain = (text) => (process.stdout.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, ''));
const indent = (text, pad) => plain(text).split('\n').map((l) => pad + l).join('\n');
