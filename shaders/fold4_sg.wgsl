enable subgroups;
// fold4.wgsl with subgroups: each subgroup sums its threads' values and its first thread
// writes the sum in its own slot (others hold zero). The slots are then added in a fixed
// order, 8 at a time by F4_T / 8 threads and those partial sums by thread 0, so the result
// does not depend on the subgroup size or layout, nor vary between runs. (One thread adding
// all F4_T slots made the 4-bit decode GEMVs 4-8% slower on an H100.)
const F4_HOLD: u32 = 1u;
var<workgroup> qf_part: array<vec4<f32>, F4_T>;
var<workgroup> qf_mid: array<vec4<f32>, F4_T / 8u>;

fn fold4_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  let s = subgroupAdd(v);
  qf_part[lid] = select(vec4<f32>(0.0), s, subgroupElect());
  workgroupBarrier();
  if (lid < F4_T / 8u) {
    var m = vec4<f32>(0.0);
    for (var j = 0u; j < 8u; j++) {
      m += qf_part[lid * 8u + j];
    }
    qf_mid[lid] = m;
  }
  workgroupBarrier();
  var t = vec4<f32>(0.0);
  if (lid == 0u) {
    for (var j = 0u; j < F4_T / 8u; j++) {
      t += qf_mid[j];
    }
  }
  return t;
}
