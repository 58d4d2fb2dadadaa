// Vite config of the browser training page: `npm run app` serves app/ (dev server),
// `npm run app:build` writes the static page to app/dist (git-ignored), and the smoke test and
// the screenshots (test/browser/) build it into a temp dir and serve that. WGSL files load as
// text with the plugin the tests use; the digits are JSON chunks fetched on first use. Both the
// dev and the preview server also serve Fashion-MNIST's IDX files at datasets/fashion-mnist/
// from $WEBGRAD_FASHION_MNIST_DIR or Debian's dataset-fashion-mnist, when present.

import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { wgslText } from '../vitest.config';

const here = fileURLToPath(new URL('.', import.meta.url));
const FASHION_DIR = process.env.WEBGRAD_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

/** GET/HEAD datasets/fashion-mnist/<file>.gz: the compressed bytes as they are on disk. */
function fashionMnist(): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
    const file = join(FASHION_DIR, name);
    if (!/^[a-z0-9-]+\.gz$/.test(name) || !existsSync(file)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
  return {
    name: 'fashion-mnist',
    configureServer: (server) => void server.middlewares.use('/datasets/fashion-mnist', handle),
    configurePreviewServer: (server) => void server.middlewares.use('/datasets/fashion-mnist', handle),
  };
}

export default defineConfig({
  root: here,
  base: './', // relative URLs: the built page works from any directory of a static host
  plugins: [wgslText(), fashionMnist()],
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
