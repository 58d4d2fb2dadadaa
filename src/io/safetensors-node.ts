// Saving and loading safetensors files in Node.
//
// Saving writes a temporary file in the same directory, flushes it to disk, then
// renames it over the target. A rename within one file system is atomic, so a crash
// or a full disk mid-save leaves either the old good checkpoint or the new one,
// never a truncated mix.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { decodeSafetensors, encodeSafetensors, type NamedTensor, type SafetensorsContents } from './safetensors';

// Makes temp names unique within this process even for saves in the same millisecond.
let saveCounter = 0;

/** Writes tensors (and optional string metadata) to `path` atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): void {
  // Encode first: an invalid tensor must not touch the file system at all.
  const bytes = encodeSafetensors(tensors, metadata);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${saveCounter++}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      // Without fsync the rename can reach the disk before the data does.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // The temp file may never have been created; nothing to clean up.
    }
    throw new Error(`${path}: cannot save safetensors: ${(e as Error).message}`);
  }
}

/** Reads and validates a safetensors file; errors name the file. */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read safetensors file: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}
