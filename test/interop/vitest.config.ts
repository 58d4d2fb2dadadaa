// `npm run test:torch`: the PyTorch interop check, kept out of `npm test` because it needs
// PyTorch (/usr/bin/python3 with torch; scripts/setup.sh installs Debian's python3-torch).
import { defineConfig } from 'vitest/config';
import { wgslText } from '../../vitest.config';

export default defineConfig({
  plugins: [wgslText()],
  test: {
    include: ['test/interop/*.interop.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
  },
});
