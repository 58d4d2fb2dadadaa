// Vite config of the browser training page: `npm run app` serves app/ (dev server),
// `npm run app:build` writes the static page to app/dist (git-ignored), and
// test/browser/app-smoke.mjs builds it into a temp dir and serves that. WGSL files load as
// text with the plugin the tests use; the digits are JSON chunks fetched on the first Train.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslText } from '../vitest.config';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './', // relative URLs: the built page works from any directory of a static host
  plugins: [wgslText()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'esnext',
    sourcemap: true,
    chunkSizeWarningLimit: 4_000, // each digit class is a ~2 MB JSON chunk
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
