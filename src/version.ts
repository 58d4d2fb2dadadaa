// The engine's version (package.json's; test/tune.node.test.ts checks that they agree). It
// keys the tuning cache, so results measured with other kernels are not reused.
export const VERSION = '0.1.0';
