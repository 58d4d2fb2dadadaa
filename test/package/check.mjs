// `npm run check:package`: webgrad as a user gets it. Packs the package (npm pack), installs the
// tarball into a fresh project in a temp directory (offline when the npm cache has the
// packages: `npm ci` put them there), then:
//  - the tarball holds only the library, its types, README and package.json, and the README
//    states its packed and unpacked size;
//  - the README's example type-checks under moduleResolution nodenext, node16 and bundler,
//    `strict`, without skipLibCheck, and with no @types but what the package brings;
//  - the README's example and every program in examples/ type-check and run (Node, WebGPU on
//    Dawn), each checked for the result it prints; predict-saved loads weights that
//    `npm run train -- --save` wrote;
//  - examples/browser builds with vite against the installed package and trains XOR in
//    headless Chromium (test/browser/chromium.mjs).
// Prints one line per check and, last, `package: N passed, N failed`; exits 1 on any failure.
// Run `npm run build` first (npm pack's prepack builds only what is stale).

import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { launchChromium, runWithCleanup, teardown } from '../browser/chromium.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'webgrad-package-'));
const consumer = join(work, 'consumer');
const started = Date.now();
const RUN_TIMEOUT_MS = Number(process.env.PACKAGE_CHECK_TIMEOUT_MS ?? 5 * 60_000);
// Exactly what the package may contain.
const PACKAGE_FILES = ['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json'];
// README sizes may drift this much before the check asks for them to be updated.
const SIZE_TOLERANCE = 0.15;
let passed = 0;
let failed = 0;
let server, browser;

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? '✓' : '✗'} ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Runs a command; resolves to its exit code and output (never rejects). */
function run(cmd, args, { cwd = consumer, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (stderr += String(err)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** The last lines of a failed command's output, for the check's detail. */
const tail = (r) => `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join(' | ')}`;

/** The README's first TypeScript block that imports webgrad: the example users copy. */
function readmeExample() {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("from 'webgrad'"));
  if (!block) throw new Error("README.md has no ```ts block importing from 'webgrad'");
  return block;
}

function readmeSizes() {
  const m = readFileSync(join(repo, 'README.md'), 'utf8').match(/([\d.]+) kB packed, ([\d.]+) kB unpacked/);
  return m ? { packed: Number(m[1]), unpacked: Number(m[2]) } : null;
}

const installedVersion = (pkg) => createRequire(join(repo, 'package.json'))(`${pkg}/package.json`).version;

function tsconfig(name, moduleKind, resolution, files, extra = {}) {
  const compilerOptions = { strict: true, target: 'es2022', module: moduleKind, moduleResolution: resolution, noEmit: true, ...extra };
  writeFileSync(join(consumer, name), JSON.stringify({ compilerOptions, files }, null, 2));
  return name;
}

// What each example must print. A function returns null when the output is right, else why not.
function examples(trained) {
  const near = (v, want, tol) => Math.abs(v - want) <= tol;
  return [
    ['readme', [], (out) => (Number.isFinite(Number.parseFloat(out)) ? null : 'expected the loss as the first value printed')],
    ['quadratic', [], (out) => {
      const x = out.match(/x = \(([^)]*)\)/)?.[1].split(',').map(Number) ?? [];
      // 1e-3: ‖∇f‖ < 1e-4 puts x within ~1e-4 of the minimum (the Hessian's eigenvalues are ≥ 0.5).
      return x.length === 3 && x.every((v) => near(v, -1, 1e-3)) && /stopped by 'grad'/.test(out) ? null : 'expected x = (−1, −1, −1) reached by the gradient rule';
    }],
    ['xor-parity', [], (out) => (/XOR: 4\/4 right/.test(out) && /4-bit parity: 16\/16 right/.test(out) ? null : 'expected every row of both truth tables right')],
    ['two-or-not-two', [], (out) => {
      const accuracy = Number(out.match(/test accuracy ([\d.]+)%/)?.[1]);
      // Always answering "not 2" scores ~90%; test/two-or-not-two.test.ts asks the same 97%.
      return accuracy > 97 ? null : `expected test accuracy above 97%, got ${accuracy}%`;
    }],
    ['custom-loop', [], (out) => {
      const [first, last] = (out.match(/loss ([\d.]+) -> ([\d.]+)/) ?? []).slice(1).map(Number);
      return last < first / 10 ? null : `expected the loss to fall tenfold, got ${first} -> ${last}`;
    }],
    ['predict-saved', [trained.weights], (out) => {
      const accuracy = Number(out.match(/test accuracy ([\d.]+)%/)?.[1]) / 100;
      // The same weights on the same 2,000 digits: only a borderline digit may flip between
      // the CLI's and this batch size (f32 sums in another order), so at most 2 in 2,000.
      return near(accuracy, trained.testAccuracy, 0.001) && /predicted: (\d ){7}\d/.test(out)
        ? null
        : `expected the CLI's test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%, got ${(100 * accuracy).toFixed(2)}%`;
    }],
  ];
}

async function checkPackage() {
  console.log(`package: packing ${repo}`);
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0];
  const files = packed.files.map((f) => f.path).sort();
  check('the tarball holds only the library, its types, README and package.json', JSON.stringify(files) === JSON.stringify(PACKAGE_FILES), files.join(', '));
  const kB = (bytes) => Math.round(bytes / 1000);
  const stated = readmeSizes();
  const sizeOk = stated !== null && [[stated.packed, packed.size], [stated.unpacked, packed.unpackedSize]].every(([s, real]) => Math.abs(s * 1000 - real) <= SIZE_TOLERANCE * real);
  check('README states the packed and unpacked size', sizeOk, `now ${kB(packed.size)} kB packed, ${kB(packed.unpackedSize)} kB unpacked; README: ${stated ? `${stated.packed}, ${stated.unpacked}` : 'no "N kB packed, N kB unpacked"'}`);

  // Train the weights predict-saved loads while npm installs (two processes, two cores).
  const weights = join(work, 'mnist.safetensors');
  const training = run(process.execPath, ['dist/cli/train.js', '--limit', '2000', '--epochs', '1', '--hidden', '32', '--save', weights, '--json'], { cwd: repo, timeoutMs: 180_000 });

  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const deps = ['typescript', '@types/node', 'mnist'].map((p) => `${p}@${installedVersion(p)}`);
  console.log(`package: installing ${packed.filename} with ${deps.join(', ')} (${seconds()})`);
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed.filename), ...deps], { timeoutMs: 180_000 });
  if (!check('npm install of the tarball into a fresh project', install.code === 0, install.code === 0 ? seconds() : tail(install))) return;

  writeFileSync(join(consumer, 'readme.ts'), readmeExample());
  cpSync(join(repo, 'examples'), consumer, { recursive: true });
  const programs = readdirSync(join(repo, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  // `types: []`: only the types the package brings (@webgpu/types through its reference).
  const configs = [
    ['nodenext', tsconfig('tsconfig.nodenext.json', 'nodenext', 'nodenext', ['readme.ts'], { types: [] })],
    ['node16', tsconfig('tsconfig.node16.json', 'node16', 'node16', ['readme.ts'], { types: [] })],
    // The browser example too: bundler resolution is what vite users have.
    ['bundler', tsconfig('tsconfig.bundler.json', 'esnext', 'bundler', ['readme.ts', 'browser/main.ts'], { types: [] })],
  ];
  const compileAll = tsconfig('tsconfig.examples.json', 'nodenext', 'nodenext', ['readme.ts', ...programs.map((p) => `${p}.ts`)], { types: ['node'], noEmit: false, outDir: 'out' });
  const tsc = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
  console.log(`package: type-checking (${seconds()})`);
  const [readmeResults, compiled] = await Promise.all([
    Promise.all(configs.map(([, file]) => run(process.execPath, [tsc, '-p', file]))),
    run(process.execPath, [tsc, '-p', compileAll]),
  ]);
  configs.forEach(([resolution], i) => {
    const r = readmeResults[i];
    const what = resolution === 'bundler' ? 'README example and examples/browser/main.ts type-check' : 'README example type-checks';
    check(`${what} (moduleResolution ${resolution}, strict, no skipLibCheck)`, r.code === 0, r.code === 0 ? '' : tail(r));
  });
  check('examples/*.ts type-check and compile (nodenext, strict)', compiled.code === 0, compiled.code === 0 ? programs.join(', ') : tail(compiled));

  console.log(`package: waiting for npm run train (${seconds()})`);
  const trainedRun = await training;
  const summary = trainedRun.code === 0 ? JSON.parse(trainedRun.stdout.trim().split('\n').at(-1)) : null;
  check('npm run train -- --save writes weights for predict-saved', summary !== null, summary ? `test accuracy ${(100 * summary.testAccuracy).toFixed(2)}%` : tail(trainedRun));

  if (compiled.code === 0) {
    for (const [name, args, verdict] of examples({ weights, testAccuracy: summary?.testAccuracy ?? NaN })) {
      const t0 = Date.now();
      const r = await run(process.execPath, [join('out', `${name}.js`), ...args]);
      const why = r.code !== 0 ? tail(r) : verdict(r.stdout);
      const last = r.stdout.trim().split('\n').at(-1) ?? '';
      check(`${name === 'readme' ? 'README example' : `examples/${name}.ts`} runs`, why === null, why ?? `${last}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }

  await checkBrowser();
}

async function checkBrowser() {
  console.log(`package: the browser example (${seconds()})`);
  // The repo's vite, but 'webgrad' resolves from the page's directory: the installed tarball.
  const root = join(consumer, 'browser');
  const outDir = join(work, 'browser-dist');
  await build({ root, configFile: false, build: { outDir, emptyOutDir: true }, logLevel: 'warn' });
  server = await preview({ root, configFile: false, build: { outDir }, preview: { host: 'localhost', port: 0, open: false }, logLevel: 'warn' });
  browser = await launchChromium(join(work, 'profile'));
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.resolvedUrls.local[0], { waitUntil: 'load' });
  await page.waitForSelector('#out[data-state]', { timeout: 120_000 });
  const { state, text } = await page.$eval('#out', (el) => ({ state: el.dataset.state, text: el.textContent ?? '' }));
  check('examples/browser trains XOR in headless Chromium (vite build of the installed package)', state === 'done' && /4\/4 right/.test(text) && errors.length === 0, text.split('\n').join('; ') + errors.join('; '));
}

const error = await runWithCleanup(checkPackage, () => teardown(browser, server, [work]), RUN_TIMEOUT_MS);
if (error) check('the package check ran to the end', false, String(error?.stack ?? error));
console.log(`package: done in ${seconds()}`);
console.log(`package: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
