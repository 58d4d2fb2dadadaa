// The GPU layer: bindings checked by name against the reflected shader, uniforms packed at
// reflected offsets, pipelines cached by (kernel, overrides), validation errors that name
// the kernel in debug mode.

import { describe, expect, it } from 'vitest';
import { gpu } from './backends';
import { createEngine, type Tensor } from '../src/index';
import { nonDifferentiable, type OpDef, type UpdateDef } from '../src/ops/op';
import { grid1d } from '../src/gpu/queue';
import { KernelRegistry } from '../src/gpu/kernels';

/** An op whose GPU side dispatches with whatever `spec` says, to provoke the checks. */
const dims = { len: 4, rank: 1, axes: [4, 1, 1, 0, ...new Array<number>(20).fill(0)], outer: [4, 1, 1, 0] };

function probe(bindings: (ins: GPUBuffer[], outs: GPUBuffer[]) => Record<string, GPUBuffer>, overrides: Record<string, number> = {}, uniforms: Record<string, number | number[]> = dims): OpDef<Record<string, never>> {
  return {
    name: 'probe',
    outputs: ([a]) => [a!],
    cpu: ([a]) => [a!.slice()],
    gpu: (q, ins, outs) => q.dispatch({ kernel: 'broadcast.binary4', overrides, uniforms, bindings: bindings(ins, outs), workgroups: grid1d(1, 256) }),
    backward: nonDifferentiable('a probe of the GPU layer'),
  };
}

describe('kernel reflection', () => {
  it('bindings that do not match the shader name both sets', async () => {
    const e = await gpu();
    const a = e.tensor([1, 2, 3, 4], [4]);
    const wrong = probe(([x], [o]) => ({ a4: x!, b: x!, out4: o! }));
    expect(() => e.run(wrong, [a, a], {})).toThrow(
      /kernel broadcast\.binary4: bindings do not match the shader\. Shader declares \{a4, b4, out4\}, TypeScript bound \{a4, b, out4\}; missing \{b4\}; not in the shader \{b\}/,
    );
    const right = probe(([x], [o]) => ({ a4: x!, b4: x!, out4: o! }));
    expect(Array.from(await e.run(right, [a, a], {})[0]!.read())).toEqual([2, 4, 6, 8]);
  });

  it('unknown overrides and missing or unknown uniform fields are errors', async () => {
    const e = await gpu();
    const a = e.tensor([1, 2, 3, 4], [4]);
    const bind = ([x]: GPUBuffer[], [o]: GPUBuffer[]) => ({ a4: x!, b4: x!, out4: o! });
    expect(() => e.run(probe(bind, { tile: 4 }), [a, a], {})).toThrow(/unknown override constant 'tile' \(the shader declares: .*workgroup_size/);
    expect(() => e.run(probe(bind, {}, { len: 4 }), [a, a], {})).toThrow(/uniform field 'dims\.rank' was not given/);
    expect(() => e.run(probe(bind, {}, { ...dims, extra: 1 }), [a, a], {})).toThrow(/'extra' is not a field of uniform dims/);
    // vector and array fields (array<vec4u, 6>: 24 lanes) take exactly their lanes
    expect(() => e.run(probe(bind, {}, { ...dims, axes: [4] }), [a, a], {})).toThrow(/'dims\.axes' takes 24 numbers, got 1 numbers/);
    expect(() => e.run(probe(bind, {}, { ...dims, rank: [1] }), [a, a], {})).toThrow(/'dims\.rank' takes a number, got 1 numbers/);
  });

  it('uniform layout comes from reflection (offsets of each Dims field)', async () => {
    const e = await gpu();
    const k = new KernelRegistry(e.device!).get('matmul.main');
    expect([...k.uniform!.fields].map(([n, f]) => [n, f.offset, f.type])).toEqual([
      ['M', 0, 'u32'], ['N', 4, 'u32'], ['K', 8, 'u32'], ['batch', 12, 'u32'],
      ['a_batch_stride', 16, 'u32'], ['b_batch_stride', 20, 'u32'], ['alpha', 24, 'f32'],
      ['splits', 28, 'u32'], ['k_chunk', 32, 'u32'], ['tiles_x', 36, 'u32'], ['tiles_y', 40, 'u32'],
    ]);
    expect(k.bindings.get('a')!.kind).toBe('read-only-storage');
    expect(k.bindings.get('c')!.kind).toBe('storage');
    expect(k.pipeline({ transpose_a: true })).toBe(k.pipeline({ transpose_a: true }));
    expect(k.pipeline({ transpose_a: true })).not.toBe(k.pipeline({ transpose_a: false }));
  });
});

describe('debug mode', () => {
  it('a validation error is reported with the kernel that caused it', async () => {
    const e = await createEngine({ backend: 'webgpu', debug: true });
    const t = e.tensor(new Float32Array(4), [4]);
    // The same buffer bound twice read_write in one dispatch: WebGPU rejects the aliasing.
    const aliased: UpdateDef<Record<string, never>> = {
      name: 'aliased',
      check: () => {},
      cpu: () => {},
      gpu: (q, [p], [h]) =>
        q.dispatch({
          kernel: 'optimizer.update',
          uniforms: { len: 4, slot: 0 },
          bindings: { hyper: h!, grad: h!, param: p!, state1: p!, state2: p!, health: p! },
          workgroups: [1],
        }),
    };
    const hyper: Tensor = e.tensor(new Float32Array(8), [8]);
    e.update(aliased, [t], [hyper], {});
    await expect(e.sync()).rejects.toThrow(/optimizer\.update/);
    e.destroy();
  });
});
