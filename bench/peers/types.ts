// What bench/run.ts needs from each library (webgrad itself and the peers).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BenchCase } from '../cases/index';

/** One case prepared on one library: inputs uploaded, functions ready. */
export interface Runner {
  /** Runs the case once and returns its output values (the first call compiles pipelines:
   *  it is the warm-up; the values are compared across libraries). */
  once(): Promise<Float32Array>;
  /** Enqueues one execution and releases its output; the GPU may still be working. */
  step(): void;
  /** Resolves when all work enqueued so far has finished on the GPU. */
  sync(): Promise<void>;
  /** Frees the inputs. */
  dispose(): void;
}

export class Unsupported extends Error {}

export interface Library {
  /** Short name for the table, e.g. "tfjs-webgpu". */
  readonly name: string;
  /** Package and version, e.g. "@tensorflow/tfjs-backend-webgpu 4.22.0". */
  readonly version: string;
  /** Acquires the device; throws if the library cannot run here. */
  init(): Promise<void>;
  /** Prepares a case; throws Unsupported (with the reason) when the library can't run it. */
  prepare(c: BenchCase, inputs: Float32Array[]): Runner;
  /** Releases the device. */
  destroy(): void;
}

/** The installed version of a package (read from node_modules, so bundling doesn't matter). */
export function installedVersion(pkg: string): string {
  try {
    const require = createRequire(join(process.cwd(), 'package.json'));
    // Packages with an exports map may hide package.json: walk up from the main entry instead.
    let dir = dirname(require.resolve(pkg));
    for (let i = 0; i < 5; i++) {
      const f = join(dir, 'package.json');
      if (existsSync(f)) {
        const json = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
        if (json.name === pkg) return json.version ?? 'unknown';
      }
      dir = dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'unknown';
}
