enable subgroups;
// fold4.wgsl with subgroups: each subgroup sums its threads' values, its first thread writes
// the sum in its own slot (others hold zero) and thread 0 adds the slots in order, so the
// result does not depend on the subgroup size or layout, nor vary between runs.
var<workgroup> qf_part: array<vec4<f32>, F4_T>;

fn fold4_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  let s = subgroupAdd(v);
  qf_part[lid] = select(vec4<f32>(0.0), s, subgroupElect());
  workgroupBarrier();
  var t = vec4<f32>(0.0);
  if (lid == 0u) {
    for (var j = 0u; j < F4_T; j++) {
      t += qf_part[j];
    }
  }
  return t;
}
