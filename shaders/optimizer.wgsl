// Optimizer updates, in place on a parameter tensor, and the on-GPU finiteness check that
// lets training stop on a NaN/inf gradient without reading anything back each step.
//
//   method 0, sgd:       w ← w − η g
//   method 1, momentum:  v ← μ v + g;            w ← w − η v
//   method 2, adam:      m ← β1 m + (1−β1) g;  s ← β2 s + (1−β2) g²;
//                        w ← w − η_t m / (√s + ε_t)   with η_t = η √(1−β2^t)/(1−β1^t),
//                        ε_t = ε √(1−β2^t)  (the bias-corrected form of Kingma & Ba, sec. 2)
// A non-finite gradient element leaves its parameter and state untouched and records the
// step in health[slot] (atomicMin: the first bad step wins, independent of thread order).
//
// Bindings (group 0):
//   dims   uniform  { len, slot }
//   hyper  read     [8] f32: η, μ or β1, β2, ε, 1−β1^t, 1−β2^t, step, unused (written by the
//                   trainer each step, so one pipeline and bind group serve every step)
//   grad   read     [len] as vec4 (check_loss: the loss, a scalar, in lane 0)
//   param  read_write [len] as vec4
//   state1 read_write [len] as vec4 (momentum v, adam m; unused by sgd but bound)
//   state2 read_write [len] as vec4 (adam s)
//   health read_write [n] atomic u32, initialised to 0x7f7fffff ("never": above any step)
// Dispatch: ceil(len / 4 / workgroup_size) workgroups (four elements per invocation),
// folded into (x, y) past 65535.

struct Dims {
  len: u32,
  slot: u32,
}

override workgroup_size: u32 = 256;
override method: u32 = 0;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> hyper: array<f32, 8>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> state1: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> state2: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> health: array<atomic<u32>>;

// Linked: lib/float (is_finite4), lib/index (flat_index).

// Four elements per invocation (vec4 views: ~4x fewer loads on SwiftShader). Lanes past `len`
// are the buffers' padding: they are neither checked nor written.
@compute @workgroup_size(workgroup_size)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i * 4u >= dims.len) { return; }
  let in_range = vec4u(i * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(dims.len);
  let g = grad[i];
  let ok = is_finite4(g) & in_range;
  if (any(!is_finite4(g) & in_range)) {
    atomicMin(&health[dims.slot], u32(hyper[6]));
  }
  let lr = hyper[0];
  let w = param[i];
  switch method {
    case 1u: {
      let v = hyper[1] * state1[i] + g;
      state1[i] = select(state1[i], v, ok);
      param[i] = select(w, w - lr * v, ok);
    }
    case 2u: {
      let m = hyper[1] * state1[i] + (1.0 - hyper[1]) * g;
      let s = hyper[2] * state2[i] + (1.0 - hyper[2]) * g * g;
      state1[i] = select(state1[i], m, ok);
      state2[i] = select(state2[i], s, ok);
      let c2 = sqrt(hyper[5]);
      param[i] = select(w, w - (lr * c2 / hyper[4]) * m / (sqrt(s) + hyper[3] * c2), ok);
    }
    default: {
      param[i] = select(w, w - lr * g, ok);
    }
  }
}

// health[slot] = min(health[slot], step) if the loss (grad[0].x, a scalar) is not finite.
@compute @workgroup_size(1)
fn check_loss(@builtin(global_invocation_id) gid: vec3u) {
  if (!is_finite4(grad[0]).x) {
    atomicMin(&health[dims.slot], u32(hyper[6]));
  }
}
