import { defineConfig, type Plugin } from 'vitest/config';
import profileSuites from './test/profile-suites.json';

/** Imports .wgsl files as their source text (esbuild's text loader does the same in builds). */
export function wgslText(): Plugin {
  return {
    name: 'wgsl-text',
    transform(code, id) {
      if (id.endsWith('.wgsl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
      return null;
    },
  };
}

/** The suites of the ops whose kernels depend on the profile (matmul, row ops, reductions)
 *  and the gradient suite run once per kernel profile (all on SwiftShader here), so every
 *  variant is tested whatever the machine; test/backends.ts reads WEBGRAD_PROFILE. The other
 *  files (elementwise ops: the same kernels under every profile) run once, on the adapter's
 *  own profile ('auto'). The browser suite (test/browser/run.mjs) reads the same list. */
const PROFILE_SUITES = profileSuites.files;

export default defineConfig({
  plugins: [wgslText()],
  test: {
    projects: [
      { extends: true, test: { name: 'auto', include: ['test/**/*.test.ts'], exclude: PROFILE_SUITES } },
      ...profileSuites.profiles.map((profile) => ({
        extends: true as const,
        test: { name: profile, include: PROFILE_SUITES, env: { WEBGRAD_PROFILE: profile } },
      })),
    ],
    // One Dawn instance per process is enough, and SwiftShader already uses every core.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
