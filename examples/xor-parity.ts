// XOR and 4-bit parity, the lectures' examples of functions one hidden layer can learn:
// a 16-unit tanh hidden layer, softmax cross-entropy, Adam, trained on the whole truth table.
import { createEngine, dense, fit, makeSplit, losses, sequential } from 'webgrad';

const e = await createEngine({ backend: 'webgpu' });

/** All 2^bits inputs (bits as ±1) and their parity (1 when the number of 1s is odd). */
function parityTable(bits: number): { x: Float32Array; y: Int32Array } {
  const n = 1 << bits;
  const x = new Float32Array(n * bits);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let ones = 0;
    for (let b = 0; b < bits; b++) {
      const bit = (i >> b) & 1;
      x[i * bits + b] = bit ? 1 : -1;
      ones += bit;
    }
    y[i] = ones % 2;
  }
  return { x, y };
}

for (const [name, bits] of [['XOR', 2], ['4-bit parity', 4]] as const) {
  const { x, y } = parityTable(bits);
  const table = makeSplit(x, y, bits, 2);
  const model = sequential([dense(bits, 16, { activation: 'tanh' }), dense(16, 2)]).build(e, 2);
  await fit(model, table, { epochs: 300, batchSize: table.count, optimizer: { kind: 'adam', lr: 0.05 }, loss: losses.softmaxCrossEntropy() });

  const predicted = await e.argMax(model.forward(e.tensor(x, [table.count, bits])), 1).read();
  const right = y.filter((label, i) => predicted[i] === label).length;
  console.log(`${name}: ${right}/${table.count} right (${((100 * right) / table.count).toFixed(0)}%)`);
  model.dispose();
}
e.destroy();
