// Builds dist/: the library (dist/index.js + type declarations) and the command-line tools
// (dist/cli/*.js, dist/bench/*.js), ESM for Node and bundlers, WGSL sources inlined as text.
// Usage: node scripts/build.mjs [--lib-only]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const libOnly = process.argv.includes('--lib-only');
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

if (!libOnly) rmSync('dist', { recursive: true, force: true });
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', platform: 'neutral' });
if (!libOnly) {
  const tools = ['cli/train.ts', 'bench/run.ts', 'bench/train-peer.ts'].filter((f) => existsSync(f));
  if (tools.length > 0) {
    await build({
      ...common,
      entryPoints: tools,
      outdir: 'dist',
      outbase: '.',
      // CommonJS dependencies (e.g. commander) call require(); give ESM bundles one.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
  }
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
