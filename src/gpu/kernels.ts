// Kernel loading: each WGSL family is reflected with wgsl_reflect to learn, per entry point,
// its bindings (name, slot, access) and the layout of its `dims` uniform. Bind group layouts
// are built from that reflection (storage declared `read` -> read-only-storage), so what
// TypeScript binds is checked by name against what the shader declares. Pipelines are cached
// by (entry point, override constants); shader modules once per family. A pipeline is
// compiled when first dispatched, or ahead of time with createComputePipelineAsync (prepare,
// used by CommandQueue.plan: a training step compiles its pipelines before its first run).

import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import { shaderFamilies, type ShaderFamily, type ShaderPart } from './shaders';

export type KernelName = `${ShaderFamily}.${string}`;
export type Overrides = Record<string, number | boolean>;
type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

interface UniformField {
  offset: number;
  type: 'u32' | 'i32' | 'f32';
  /** 1 for a scalar; else a vector (vec2..4) or an array of vec4 (16-byte stride, so the
   *  lanes are contiguous), given as an array of exactly this many numbers. */
  lanes: number;
}

/** A uniform value: a number for a scalar field, an array for a vector or array field. */
export type UniformValue = number | readonly number[];

export interface UniformLayout {
  name: string;
  size: number;
  fields: Map<string, UniformField>;
}

/** One compute entry point, reflected, with its layout and pipelines. */
export class Kernel {
  readonly bindings = new Map<string, { slot: number; kind: BindingKind }>();
  readonly uniform: UniformLayout | null = null;
  readonly overrideNames: Set<string>;
  readonly bindGroupLayout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly compiling = new Map<string, Promise<void>>();

  /** @internal Made by KernelRegistry; left out of the published types, which would otherwise
   *  need wgsl_reflect's. */
  constructor(
    readonly name: KernelName,
    private readonly device: GPUDevice,
    private readonly module: GPUShaderModule,
    reflect: WgslReflect,
    /** Receives each pipeline creation's outcome: an error message, or null. */
    private readonly onPipeline: (name: string, p: Promise<string | null>) => void,
  ) {
    const entry = name.slice(name.indexOf('.') + 1);
    const fn = reflect.entry.compute.find((f) => f.name === entry);
    if (!fn) {
      const have = reflect.entry.compute.map((f) => f.name).join(', ');
      const hint = have ? `it has: ${have}` : 'it has none: wgsl_reflect could not parse the file, see the WGSL compile error';
      throw new Error(`kernel ${name}: no compute entry point '${entry}' in the shader (${hint})`);
    }
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (const r of fn.resources) {
      if (r.group !== 0) throw new Error(`kernel ${name}: binding '${r.name}' is in group ${r.group}; kernels use group 0 only`);
      let kind: BindingKind;
      if (r.resourceType === ResourceType.Uniform) {
        kind = 'uniform';
        this.uniform = uniformLayout(name, r.name, r.size, r.members ?? []);
      } else if (r.resourceType === ResourceType.Storage) {
        kind = r.access === 'read_write' ? 'storage' : 'read-only-storage';
      } else {
        throw new Error(`kernel ${name}: binding '${r.name}' is not a buffer; only uniform and storage buffers are supported`);
      }
      this.bindings.set(r.name, { slot: r.binding, kind });
      entries.push({ binding: r.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: kind } });
    }
    this.overrideNames = new Set(reflect.overrides.map((o) => o.name));
    this.bindGroupLayout = device.createBindGroupLayout({ label: name, entries });
    this.pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [this.bindGroupLayout] });
  }

  /** The pipeline for these override values: cached, or compiled now (blocking; prepare()
   *  compiles without blocking ahead of time). */
  pipeline(overrides: Overrides = {}): GPUComputePipeline {
    const key = this.key(overrides);
    let p = this.pipelines.get(key);
    if (p) return p;
    this.device.pushErrorScope('validation');
    p = this.device.createComputePipeline(this.descriptor(key, overrides));
    this.onPipeline(this.name, this.device.popErrorScope().then((err) => err?.message ?? null));
    this.pipelines.set(key, p);
    return p;
  }

  /** Compiles the pipeline with createComputePipelineAsync (off the JS thread where the
   *  implementation allows), so the first dispatch that needs it does not block. */
  prepare(overrides: Overrides = {}): Promise<void> {
    const key = this.key(overrides);
    if (this.pipelines.has(key)) return Promise.resolve();
    let pending = this.compiling.get(key);
    if (!pending) {
      const created = this.device.createComputePipelineAsync(this.descriptor(key, overrides)).then(
        (p) => {
          if (!this.pipelines.has(key)) this.pipelines.set(key, p);
          return null;
        },
        (err: Error) => err.message,
      );
      this.onPipeline(this.name, created);
      pending = created.then(() => undefined);
      this.compiling.set(key, pending);
      void pending.finally(() => this.compiling.delete(key));
    }
    return pending;
  }

  private key(overrides: Overrides): string {
    return JSON.stringify(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  private descriptor(key: string, overrides: Overrides): GPUComputePipelineDescriptor {
    for (const k of Object.keys(overrides)) {
      if (!this.overrideNames.has(k)) {
        throw new Error(`kernel ${this.name}: unknown override constant '${k}' (the shader declares: ${[...this.overrideNames].join(', ')})`);
      }
    }
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(overrides)) constants[k] = typeof v === 'boolean' ? Number(v) : v;
    return {
      label: `${this.name} ${key}`,
      layout: this.pipelineLayout,
      compute: { module: this.module, entryPoint: this.name.slice(this.name.indexOf('.') + 1), constants },
    };
  }

  /** Checks that `given` names exactly the shader's bindings; the error names both sets. */
  checkBindings(given: readonly string[]): void {
    const want = [...this.bindings.entries()]
      .filter(([, b]) => b.kind !== 'uniform')
      .sort(([, x], [, y]) => x.slot - y.slot)
      .map(([n]) => n);
    const missing = want.filter((n) => !given.includes(n));
    const extra = given.filter((n) => !this.bindings.has(n) || this.bindings.get(n)!.kind === 'uniform');
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `kernel ${this.name}: bindings do not match the shader. Shader declares {${want.join(', ')}}, ` +
          `TypeScript bound {${given.join(', ')}}` +
          (missing.length ? `; missing {${missing.join(', ')}}` : '') +
          (extra.length ? `; not in the shader {${extra.join(', ')}}` : ''),
      );
    }
  }

  /** Packs uniform values at the offsets wgsl_reflect reports; every field must be given. */
  packUniform(values: Record<string, UniformValue>): Uint8Array {
    const u = this.uniform;
    if (!u) {
      if (Object.keys(values).length > 0) throw new Error(`kernel ${this.name}: shader has no uniform, but values were given`);
      return new Uint8Array(0);
    }
    const bytes = new Uint8Array(Math.ceil(u.size / 16) * 16);
    const view = new DataView(bytes.buffer);
    for (const [field, { offset, type, lanes }] of u.fields) {
      const v = values[field];
      if (v === undefined) throw new Error(`kernel ${this.name}: uniform field '${u.name}.${field}' was not given`);
      const given = typeof v === 'number' ? 1 : v.length;
      if ((lanes === 1) !== (typeof v === 'number') || given !== lanes) {
        throw new Error(`kernel ${this.name}: uniform field '${u.name}.${field}' takes ${lanes === 1 ? 'a number' : `${lanes} numbers`}, got ${typeof v === 'number' ? 'a number' : `${given} numbers`}`);
      }
      (typeof v === 'number' ? [v] : v).forEach((x, j) => {
        if (type === 'f32') view.setFloat32(offset + 4 * j, x, true);
        else if (type === 'u32') view.setUint32(offset + 4 * j, x, true);
        else view.setInt32(offset + 4 * j, x, true);
      });
    }
    for (const field of Object.keys(values)) {
      if (!u.fields.has(field)) throw new Error(`kernel ${this.name}: '${field}' is not a field of uniform ${u.name} (fields: ${[...u.fields.keys()].join(', ')})`);
    }
    return bytes;
  }
}

interface ReflectedType {
  name: string;
  format?: ReflectedType | null;
  count?: number;
  stride?: number;
}

/** (scalar type, lanes) of a u32/i32/f32 scalar, vecN (vec4u or vec4<u32>), or array<vec4, n>. */
function fieldShape(t: ReflectedType): { type: UniformField['type']; lanes: number } | null {
  if (t.name === 'u32' || t.name === 'i32' || t.name === 'f32') return { type: t.name, lanes: 1 };
  const vec = /^vec([234])([uif]?)$/.exec(t.name);
  if (vec) {
    const scalar = vec[2] ? ({ u: 'u32', i: 'i32', f: 'f32' } as const)[vec[2] as 'u' | 'i' | 'f'] : t.format?.name;
    return scalar === 'u32' || scalar === 'i32' || scalar === 'f32' ? { type: scalar, lanes: Number(vec[1]) } : null;
  }
  if (t.name === 'array' && t.format && t.count && t.stride === 16) {
    const el = fieldShape(t.format);
    return el && el.lanes === 4 ? { type: el.type, lanes: 4 * t.count } : null;
  }
  return null;
}

function uniformLayout(kernel: string, name: string, size: number, members: { name: string; offset: number; type: ReflectedType }[]): UniformLayout {
  const fields = new Map<string, UniformField>();
  for (const m of members) {
    const shape = fieldShape(m.type);
    if (!shape) {
      throw new Error(`kernel ${kernel}: uniform field ${name}.${m.name} has type ${m.type.name}; only u32, i32 and f32 scalars, vectors and arrays of vec4 are supported`);
    }
    fields.set(m.name, { offset: m.offset, ...shape });
  }
  return { name, size, fields };
}

/** Compiles families on first use and hands out reflected kernels. */
const shared = new WeakMap<GPUDevice, KernelRegistry>();

export class KernelRegistry {
  private readonly families = new Map<ShaderFamily, { module: GPUShaderModule; reflect: WgslReflect }>();
  private readonly kernels = new Map<string, Kernel>();
  /** Compilation and pipeline-creation checks still to be awaited (errors name the kernel). */
  private pending: Promise<Error | null>[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** The registry shared by every engine on `device`: engines created on a device passed in
   *  (tests, an app with several engines) compile each pipeline once. */
  static of(device: GPUDevice): KernelRegistry {
    let r = shared.get(device);
    if (!r) shared.set(device, (r = new KernelRegistry(device)));
    return r;
  }

  get(name: KernelName): Kernel {
    let k = this.kernels.get(name);
    if (k) return k;
    const family = name.slice(0, name.indexOf('.')) as ShaderFamily;
    const parts: ShaderPart[] | undefined = shaderFamilies[family];
    if (!parts) throw new Error(`kernel ${name}: no shader family '${family}' (known: ${Object.keys(shaderFamilies).join(', ')})`);
    let f = this.families.get(family);
    if (!f) {
      const code = parts.map((p) => p.code).join('\n');
      // The scope keeps a WGSL error from becoming an uncaptured (engine-fatal) error; the
      // compilation info then maps it to the .wgsl file and line.
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ label: family, code });
      void this.device.popErrorScope();
      this.pending.push(compilationErrors(module, parts).then(() => null, (err: Error) => err));
      f = { module, reflect: new WgslReflect(code) };
      this.families.set(family, f);
    }
    k = new Kernel(name, this.device, f.module, f.reflect, (kernel, scope) =>
      this.pending.push(
        scope.then((err) => (err ? new Error(`kernel ${kernel}: pipeline creation failed: ${err}`) : null)),
      ),
    );
    this.kernels.set(name, k);
    return k;
  }

  /** Resolves when every compile so far has succeeded; rejects with the first error. */
  async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const first = (await Promise.all(pending)).find((e) => e !== null);
    if (first) throw first;
  }
}

/** Maps compiler messages back to the .wgsl file and line they came from. */
async function compilationErrors(module: GPUShaderModule, parts: ShaderPart[]): Promise<void> {
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length === 0) return;
  const where = (line: number): string => {
    for (const p of parts) {
      const n = p.code.split('\n').length;
      if (line <= n) return `shaders/${p.file}:${line}`;
      line -= n;
    }
    return `line ${line}`;
  };
  throw new Error(`WGSL compile error: ${errors.map((m) => `${where(m.lineNum)}: ${m.message}`).join('; ')}`);
}
