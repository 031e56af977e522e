// Vectorised fused elementwise kernel (32-bit outputs, or float16 ones on shader-f16 devices,
// whose size is a multiple of 4): one thread per 4 output values, stored as one vec4;
// contiguous aligned inputs load as vec4s. Hooks: mp_quads() -> u32, mp_quad(q: u32) -> T,
// binding `out` (array<T>), T = vec4<u32> or vec4<f16>.

@compute @workgroup_size(256)
fn map4_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.y * (nwg.x * 256u) + gid.x;
  if (q >= mp_quads()) {
    return;
  }
  out[q] = mp_quad(q);
}
