// Builds dist/: the library (dist/index.js, one bundled dist/index.d.ts), the command-line
// tools (dist/cli/*.js, dist/bench/*.js) and the examples (dist/examples/*.js); ESM for Node
// and bundlers, WGSL sources inlined as text. Only the library files are packed (package.json
// "files"); tools and examples stay in the repository.
// Usage: node scripts/build.mjs [--if-stale]
//   --if-stale  does nothing when dist/ is newer than every source (what `npm run train` and
//               `npm run bench` use, so `--help` does not wait for a build).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const STAMP = 'dist/.built';
// Everything the outputs are made from. Directories count too: their mtime changes when a
// file is added or removed.
const SOURCE_DIRS = ['src', 'shaders', 'cli', 'bench', 'examples'];
const SOURCE_FILES = ['scripts/build.mjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, f) => Math.max(m, newestMtime(join(path, f))), st.mtimeMs);
}

if (process.argv.includes('--if-stale') && existsSync(STAMP)) {
  const built = statSync(STAMP).mtimeMs;
  if ([...SOURCE_DIRS, ...SOURCE_FILES].every((p) => newestMtime(p) < built)) process.exit(0);
}

// Loaded only when building, so the up-to-date check above stays fast.
const { build } = await import('esbuild');
const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // dependencies stay imports; the native `webgpu` must not be bundled
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  logLevel: 'warning',
};

rmSync('dist', { recursive: true, force: true });
// No source map for the library: the bundle is not minified and keeps a `// src/...` line per
// file, and leaving the map out keeps the package a third of the size.
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', platform: 'neutral', sourcemap: false });
// examples/*.ts keep `import ... from 'webgrad'`, which Node resolves to dist/index.js through
// the package's self-reference: `node dist/examples/quadratic.js` runs one.
const examples = readdirSync('examples').filter((f) => f.endsWith('.ts')).map((f) => `examples/${f}`);
await build({
  ...common,
  entryPoints: ['cli/train.ts', 'bench/run.ts', 'bench/train-peer.ts', ...examples].filter((f) => existsSync(f)),
  outdir: 'dist',
  outbase: '.',
  // CommonJS dependencies (e.g. commander) call require(); give ESM bundles one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
await bundleDeclarations();
writeFileSync(STAMP, `${new Date().toISOString()}\n`);

/**
 * tsc emits one .d.ts per source file with extensionless relative imports, which Node's
 * `nodenext`/`node16` resolution rejects; rollup-plugin-dts follows those imports from
 * src/index.ts and writes the public surface as one self-contained dist/index.d.ts. That keeps
 * working as files are added, and leaves out internal modules (the wgsl_reflect-typed kernel
 * registry among them), so consumers need no typing for wgsl_reflect.
 */
async function bundleDeclarations() {
  const emitted = mkdtempSync(join(tmpdir(), 'webgrad-dts-'));
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', emitted], { stdio: 'inherit' });
    const [{ rollup }, { dts }] = await Promise.all([import('rollup'), import('rollup-plugin-dts')]);
    const bundle = await rollup({
      input: join(emitted, 'index.d.ts'),
      plugins: [dts()],
      // Packages stay imports (a type that reaches one is checked in the output below).
      external: (id) => !id.startsWith('.') && !isAbsolute(id),
      onwarn: failOnWarning,
    });
    await bundle.write({
      file: 'dist/index.d.ts',
      format: 'es',
      // The API names GPUDevice, GPUAdapter, ... (the `device` option, `engine.device`). They
      // are globals declared by @webgpu/types, a dependency of the package (README "Install").
      banner: '/// <reference types="@webgpu/types" />',
    });
    await bundle.close();
  } finally {
    rmSync(emitted, { recursive: true, force: true });
  }
  // A public type that reaches a dependency's types would need that typing in every consumer
  // (wgsl_reflect has none usable from Node). Keep such members @internal instead.
  const text = readFileSync('dist/index.d.ts', 'utf8');
  const imported = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^[^*\n]*\bimport\(\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
  if (imported.length > 0) {
    throw new Error(`dist/index.d.ts imports ${imported.join(', ')}: a public type reaches a dependency's types; mark the member /** @internal */ or give it a webgrad type`);
  }
}

function failOnWarning(warning) {
  throw new Error(`bundling dist/index.d.ts: ${warning.message}`);
}
