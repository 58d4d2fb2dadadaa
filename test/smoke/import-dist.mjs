// Smoke test of the built package: plain Node (no vite, no TypeScript) imports 'webgrad'
// through package.json "exports" and runs one op on each backend.
import { createEngine } from 'webgrad';

for (const backend of ['cpu', 'webgpu']) {
  const e = await createEngine({ backend });
  const a = e.tensor([1, -2, 3, -4, 5, -6], [2, 3]);
  const b = e.tensor([10, 20, 30], [3]);
  const out = Array.from(await e.relu(e.add(a, b)).read());
  const want = [11, 18, 33, 6, 25, 24];
  if (JSON.stringify(out) !== JSON.stringify(want)) {
    console.error(`smoke (${backend}): got ${out}, want ${want}`);
    process.exit(1);
  }
  console.log(`smoke (${backend}, ${e.adapter}): relu(a + b) = ${out.join(', ')}`);
  e.destroy();
}
