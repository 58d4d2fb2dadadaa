// Strided copy: the one data-movement kernel behind transpose, slice, pad, concat, stack and
// broadcasting. It walks an iteration space of up to 6 axes (size0 outermost .. size5
// innermost; unused leading axes have size 1) and, for every point c of it,
//
//   inside = lo_d <= c_d < hi_d for every axis d
//   out[out_offset + Σ_d c_d·out_stride_d] = inside ? x[in_offset + Σ_d (c_d − lo_d)·in_stride_d] : 0
//
//   transpose:    size = the permuted shape, in_stride = x's strides permuted, out contiguous
//   slice:        in_offset = Σ begin_d·x_stride_d, size = the slice's shape
//   pad:          lo = before, hi = before + x's dim: zeros outside the window
//   concat/stack: one dispatch per input, size = its shape, out_offset = where its block starts,
//                 out_stride = the result's strides
//   broadcast:    in_stride_d = 0 on the axes that stretch
// src/ops/copy.ts merges axes that are contiguous on both sides first, so most copies are 1- to
// 3-axis walks; the `axes` override drops the walk over unused axes at pipeline creation. Each
// invocation copies `run` consecutive points of the innermost axis (size5), so the index
// arithmetic of the outer axes (a division per axis) is paid once per run. Outside the window
// the source index wraps around in u32; it is unused.
//
//
// block_transpose: the same copy where the two innermost axes are a transpose in 4 x 4
// blocks: the input is contiguous along axis 4 (in_stride4 = 1) and the output along axis 5
// (out_stride5 = 1), both sizes, the other strides and both offsets multiples of 4, nothing
// padded (src/ops/copy.ts checks it). Each invocation loads a block as 4 vec4s (4 input rows),
// transposes it in registers and stores 4 vec4s: 8 memory operations for 16 elements, where
// strided_copy makes 32 (on SwiftShader a load or store costs about the same for a vec4 as
// for a float). Here `rows` is the number of blocks.
//
// Bindings (group 0): dims uniform; x read-only storage (any length); out read_write storage
// (at least out_offset + the largest written index + 1); block_transpose: x4, out4, the same
// buffers as vec4s (every engine buffer holds whole vec4s).
// Dispatch: ceil(rows · ceil(size5 / run) / workgroup_size) workgroups (block_transpose:
// ceil(rows / workgroup_size)), folded into (x, y) past 65535; index = gid.x + gid.y *
// num_workgroups.x * workgroup_size.

struct Dims {
  rows: u32,         // Π size0..size4: the iteration points of the outer axes
  in_offset: u32,
  out_offset: u32,
  size0: u32, size1: u32, size2: u32, size3: u32, size4: u32, size5: u32,
  in_stride0: u32, in_stride1: u32, in_stride2: u32, in_stride3: u32, in_stride4: u32, in_stride5: u32,
  out_stride0: u32, out_stride1: u32, out_stride2: u32, out_stride3: u32, out_stride4: u32, out_stride5: u32,
  lo0: u32, lo1: u32, lo2: u32, lo3: u32, lo4: u32, lo5: u32,
  hi0: u32, hi1: u32, hi2: u32, hi3: u32, hi4: u32, hi5: u32,
}

override workgroup_size: u32 = 256;
override axes: u32 = 6;   // axes in use (the innermost ones): the walk over the others compiles away
override run: u32 = 4;    // consecutive points of the innermost axis per invocation

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> x4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4f>;

// Linked: lib/index (flat_index).

// The walk from a row index (a point of the outer axes) to its source and destination, one
// axis at a time (innermost first): rem is what is left of the index.
struct Walk {
  rem: u32,
  src: u32,
  dst: u32,
  inside: bool,
}

fn walk_axis(w: ptr<function, Walk>, size: u32, in_stride: u32, out_stride: u32, lo: u32, hi: u32) {
  let c = (*w).rem % size;
  (*w).rem = (*w).rem / size;
  (*w).inside = (*w).inside && c >= lo && c < hi;
  (*w).src += (c - lo) * in_stride;
  (*w).dst += c * out_stride;
}

@compute @workgroup_size(workgroup_size)
fn strided_copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  let runs = (dims.size5 + run - 1u) / run;   // invocations per row
  if (j >= dims.rows * runs) { return; }
  var w = Walk(j / runs, dims.in_offset, dims.out_offset, true);
  if (axes > 1u) { walk_axis(&w, dims.size4, dims.in_stride4, dims.out_stride4, dims.lo4, dims.hi4); }
  if (axes > 2u) { walk_axis(&w, dims.size3, dims.in_stride3, dims.out_stride3, dims.lo3, dims.hi3); }
  if (axes > 3u) { walk_axis(&w, dims.size2, dims.in_stride2, dims.out_stride2, dims.lo2, dims.hi2); }
  if (axes > 4u) { walk_axis(&w, dims.size1, dims.in_stride1, dims.out_stride1, dims.lo1, dims.hi1); }
  if (axes > 5u) { walk_axis(&w, dims.size0, dims.in_stride0, dims.out_stride0, dims.lo0, dims.hi0); }
  let first = (j % runs) * run;
  for (var c = first; c < min(first + run, dims.size5); c++) {
    var v = 0.0;
    if (w.inside && c >= dims.lo5 && c < dims.hi5) { v = x[w.src + (c - dims.lo5) * dims.in_stride5]; }
    out[w.dst + c * dims.out_stride5] = v;
  }
}

@compute @workgroup_size(workgroup_size)
fn block_transpose(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= dims.rows) { return; }
  let blocks5 = dims.size5 / 4u;   // blocks along the output's contiguous axis
  let blocks4 = dims.size4 / 4u;
  let b0 = 4u * (j % blocks5);
  let a0 = 4u * ((j / blocks5) % blocks4);
  var w = Walk(j / (blocks5 * blocks4), dims.in_offset, dims.out_offset, true);
  if (axes > 2u) { walk_axis(&w, dims.size3, dims.in_stride3, dims.out_stride3, 0u, dims.size3); }
  if (axes > 3u) { walk_axis(&w, dims.size2, dims.in_stride2, dims.out_stride2, 0u, dims.size2); }
  if (axes > 4u) { walk_axis(&w, dims.size1, dims.in_stride1, dims.out_stride1, 0u, dims.size1); }
  if (axes > 5u) { walk_axis(&w, dims.size0, dims.in_stride0, dims.out_stride0, 0u, dims.size0); }
  // column q of the block: input row b0 + q, elements a0 .. a0 + 3 (axis 4 is contiguous)
  let src = (w.src + a0 + b0 * dims.in_stride5) / 4u;
  let step_in = dims.in_stride5 / 4u;
  let t4 = transpose(mat4x4f(x4[src], x4[src + step_in], x4[src + 2u * step_in], x4[src + 3u * step_in]));
  // row r of the transposed block: output row a0 + r, elements b0 .. b0 + 3
  let dst = (w.dst + a0 * dims.out_stride4 + b0) / 4u;
  let step_out = dims.out_stride4 / 4u;
  out4[dst] = t4[0];
  out4[dst + step_out] = t4[1];
  out4[dst + 2u * step_out] = t4[2];
  out4[dst + 3u * step_out] = t4[3];
}
