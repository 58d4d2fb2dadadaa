// Vite config of the benchmark page: `npm run bench:page` serves bench/page/ (dev server),
// bench/browser.mjs (`npm run bench:browser`) builds it into a temp dir and serves that, and
// `npm run test:browser -- --screenshots DIR` does the same for its screenshot. The page gets
// the versions it reports (webgrad's package version and git commit, the peers' installed
// versions) as build-time constants; WGSL files load as text, as everywhere else.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslText } from '../../vitest.config';
import { peerVersions } from '../peers/installed';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

function webgradVersion(): string {
  const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string };
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '' ? ', uncommitted changes' : '';
    return `${version} (commit ${git('rev-parse', '--short', 'HEAD')}${dirty})`;
  } catch {
    return version; // not a git checkout
  }
}

export default defineConfig({
  root: here,
  base: './', // relative URLs: the built page works from any directory of a static host
  plugins: [wgslText()],
  define: {
    __WEBGRAD_VERSION__: JSON.stringify(webgradVersion()),
    // vite runs this config from its own cwd; installed.ts resolves from process.cwd() (the repo).
    __PEER_VERSIONS__: JSON.stringify(peerVersions()),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'esnext',
    sourcemap: true,
    chunkSizeWarningLimit: 4_000, // TF.js and jax-js are large
    reportCompressedSize: false,
    rollupOptions: {
      // src/gpu/device.ts imports node:fs dynamically on its Node-only path (never run in the
      // page); vite stubs it for the browser and warns. Silence just that one warning.
      onwarn(warning, warn) {
        if (/"node:fs" has been externalized.*src\/gpu\/device\.ts/s.test(warning.message)) return;
        warn(warning);
      },
    },
  },
});
