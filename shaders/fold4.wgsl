// Workgroup sum of one vec4 per thread (F4_T threads, a power of two), result at thread 0.
const F4_HOLD: u32 = 1u;
var<workgroup> qf_part: array<vec4<f32>, F4_T>;

fn fold4_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  qf_part[lid] = v;
  workgroupBarrier();
  for (var s = F4_T / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      qf_part[lid] += qf_part[lid + s];
    }
    workgroupBarrier();
  }
  return qf_part[0];
}
