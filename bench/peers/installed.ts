// Node only: the installed version of a package, read from node_modules (so bundling the
// benchmark doesn't matter). The browser page gets the same strings from its vite config.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function installedVersion(pkg: string): string {
  try {
    const require = createRequire(join(process.cwd(), 'package.json'));
    // Packages with an exports map may hide package.json: walk up from the main entry instead.
    let dir = dirname(require.resolve(pkg));
    for (let i = 0; i < 5; i++) {
      const f = join(dir, 'package.json');
      if (existsSync(f)) {
        const json = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
        if (json.name === pkg) return json.version ?? 'unknown';
      }
      dir = dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

/** The peers' package versions, as the tables print them. */
export function peerVersions(): { tfjs: string; jax: string } {
  return {
    tfjs: `@tensorflow/tfjs-core ${installedVersion('@tensorflow/tfjs-core')} + @tensorflow/tfjs-backend-webgpu ${installedVersion('@tensorflow/tfjs-backend-webgpu')}`,
    jax: `@jax-js/jax ${installedVersion('@jax-js/jax')}`,
  };
}
