// The fuzzers outside CI's budget: the random-op-graph fuzzer (test/fuzz.test.ts) and the
// untrusted-file fuzzer (test/untrusted-files.node.test.ts).
// Usage: npm run fuzz [-- --long] [-- --seed N] [-- --first N --count N]
//   (no flags)   the CI sizes: 300 graphs, 2,000 files of each format
//   --long       3,000 graphs (or --count), 20,000 files of each format
//   --seed N     replays graph seed N, printing its graph (what a failure's replay line says)
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const env = { ...process.env };
if (args.includes('--long')) env.WEBGRAD_FUZZ_LONG = '1';
for (const [flag, name] of [['--seed', 'WEBGRAD_FUZZ_SEED'], ['--first', 'WEBGRAD_FUZZ_FIRST'], ['--count', 'WEBGRAD_FUZZ_COUNT']]) {
  const v = value(flag);
  if (v !== undefined) env[name] = v;
}
const files = env.WEBGRAD_FUZZ_SEED === undefined ? ['test/fuzz.test.ts', 'test/untrusted-files.node.test.ts'] : ['test/fuzz.test.ts'];
const run = spawnSync('npx', ['vitest', 'run', ...files], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
