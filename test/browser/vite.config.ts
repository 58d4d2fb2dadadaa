// Vite config for the browser test page (used by run.mjs for build + preview): the page is
// test/browser/index.html; 'vitest' is aliased to the in-page shim; .wgsl files load as text
// with the same plugin the Node tests use.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslText } from '../../vitest.config';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  plugins: [wgslText()],
  resolve: { alias: [{ find: /^vitest$/, replacement: `${here}vitest-shim.ts` }] },
  build: {
    // run.mjs passes a temporary outDir; sourcemaps let it map page stack traces to sources.
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'esnext',
    chunkSizeWarningLimit: 10_000,
    reportCompressedSize: false,
    rollupOptions: {
      // Bundle the tests as written: rollup's tree-shaking would drop code it deems pure.
      treeshake: false,
      // src/gpu/device.ts imports node:fs dynamically on its Node-only path (never run in the
      // page); vite stubs it for the browser and warns. Silence just that one warning.
      onwarn(warning, warn) {
        if (/"node:fs" has been externalized.*src\/gpu\/device\.ts/s.test(warning.message)) return;
        warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
