// Indices over 1-D work folded into a 2-D grid past 65535 workgroups (grid1d in
// src/gpu/queue.ts): extra invocations or workgroups get indices past the end and exit.
// Linked into families that declare `override workgroup_size: u32`.

// The invocation's element index: gid.x + gid.y · (invocations per grid row)
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * workgroup_size;
}

// The workgroup's index (one workgroup per row or per output)
fn group_index(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}
