// Vectorised fused elementwise kernel (32-bit outputs whose size is a multiple of 4): one
// thread per 4 output words, stored as one vec4; contiguous aligned inputs load as vec4s.
// Hooks: mp_quads() -> u32, mp_quad(q: u32) -> vec4<u32>, binding `out` (array<vec4<u32>>).

@compute @workgroup_size(256)
fn map4_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.y * (nwg.x * 256u) + gid.x;
  if (q >= mp_quads()) {
    return;
  }
  out[q] = mp_quad(q);
}
