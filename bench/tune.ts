// npm run tune: times webgrad's matmul variants for the shapes of the main training job (the
// 784-128-10 MLP of `npm run train`, batches 64 and 128, with Adam; and the benchmark's
// matmuls) on this machine's adapter, stores the winners in the tuning cache (later engines
// with tune 'cached', the default, use them) and prints the table. The shapes come from
// planning real training steps (Engine.prepare with tune 'always'), not from a list that
// could drift from what training runs.

import { createEngine, type Engine } from '../src/index';
import { dense, sequential } from '../src/nn/layers';
import { Optimizer } from '../src/nn/optimizers';
import { TrainingStep } from '../src/schedule/step';
import type { TuneResult } from '../src/gpu/tune';
import type { MatmulProblem } from '../src/gpu/profile';

async function trainingShapes(e: Engine, batch: number): Promise<TuneResult[]> {
  const model = sequential([dense(784, 128, { activation: 'relu' }), dense(128, 10)]).build(e, 1);
  const optimizer = new Optimizer(e, model.params, { kind: 'adam', lr: 1e-3 });
  const x = e.tensor(new Float32Array(batch * 784).fill(0.5), [batch, 784]);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x), labels), optimizer);
  try {
    return await step.prepare();
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

const square = (n: number): MatmulProblem => ({ M: n, N: n, K: n, batch: 1, transposeA: false, transposeB: false });

export async function runTune(): Promise<number> {
  const e = await createEngine({ backend: 'webgpu', tune: 'always' });
  console.log(`webgrad tuning on ${e.adapter}, profile ${e.kernelProfile}`);
  const results = new Map<string, TuneResult>();
  const add = (rs: TuneResult[]) => rs.forEach((r) => results.set(r.shapeClass, r));
  for (const batch of [64, 128]) add(await trainingShapes(e, batch));
  add(await e.tune([square(256), square(512), square(1024)]));
  for (const r of results.values()) {
    const p = r.problem;
    console.log(`\n${r.shapeClass}  (timed on M=${p.M} N=${p.N} K=${p.K}${p.batch > 1 ? ` batch ${p.batch}` : ''}${p.transposeA ? ' Aᵀ' : ''}${p.transposeB ? ' Bᵀ' : ''})`);
    const best = Math.min(...r.timings.map((t) => t.ms));
    for (const t of r.timings) {
      const gflops = (2 * p.M * p.N * p.K * p.batch) / (t.ms * 1e6);
      console.log(`  ${t.ms === best ? '*' : ' '} ${t.label.padEnd(30)} ${t.ms.toFixed(3).padStart(9)} ms  ${gflops.toFixed(2).padStart(7)} GFLOP/s`);
    }
  }
  console.log(`\nstored in the tuning cache; engines created with tune 'cached' (the default) use these choices`);
  e.destroy();
  return 0;
}
