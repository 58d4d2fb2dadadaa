// The tile grid of the matmul kernels: workgroup -> (tile x, tile y, zs), zs = z · splits + split.
// The natural grid is (tiles_x, tiles_y, batch · splits); a grid with a dimension over 65535
// is folded by src/gpu/matmul.ts, and the flat workgroup index
// g = wid.x + wid.y · groups.x + wid.z · groups.x · groups.y is split back with dims.tiles_x /
// tiles_y, so any grid covering tiles_x · tiles_y · batch · splits workgroups works (those past
// it get zs >= batch · splits and exit, a whole workgroup at once). Linked into families whose
// Dims has tiles_x and tiles_y.
fn tile_of(wid: vec3u, groups: vec3u) -> vec3u {
  let g = wid.x + wid.y * groups.x + wid.z * groups.x * groups.y;
  return vec3u(g % dims.tiles_x, (g / dims.tiles_x) % dims.tiles_y, g / (dims.tiles_x * dims.tiles_y));
}
