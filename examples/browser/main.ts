// XOR learned by a 2-8-2 tanh network on the visitor's GPU (WebGPU), shown on the page.
// `npx vite` serves this page (`npx vite build` writes a static copy to dist/).
import { createEngine, dense, fit, losses, makeSplit, sequential } from 'webgrad';

const out = document.querySelector<HTMLPreElement>('#out')!;

async function main(): Promise<void> {
  const e = await createEngine({ backend: 'webgpu' });
  const x = new Float32Array([-1, -1, -1, 1, 1, -1, 1, 1]);
  const y = new Int32Array([0, 1, 1, 0]);
  const table = makeSplit(x, y, 2, 2);
  const model = sequential([dense(2, 8, { activation: 'tanh' }), dense(8, 2)]).build(e, 1);
  const { epochs } = await fit(model, table, { epochs: 200, batchSize: 4, optimizer: { kind: 'adam', lr: 0.05 }, loss: losses.softmaxCrossEntropy() });
  const predicted = await e.argMax(model.forward(e.tensor(x, [4, 2])), 1).read();
  const rows = [0, 1, 2, 3].map((i) => `${x[2 * i]! > 0 ? 1 : 0} xor ${x[2 * i + 1]! > 0 ? 1 : 0} = ${predicted[i]}`);
  const right = y.filter((label, i) => predicted[i] === label).length;
  out.textContent = `${e.adapter}\nloss ${epochs.at(-1)!.trainLoss.toFixed(4)}\n${rows.join('\n')}\n${right}/4 right`;
  out.dataset.state = 'done';
}

main().catch((err: unknown) => {
  out.textContent = `error: ${String(err)}`;
  out.dataset.state = 'error';
});
