enable subgroups;
// fold4_sg.wgsl where every subgroup has FS threads, made of consecutive invocations: each
// subgroup's sum goes to its slot, and threads 0..3 each add the slots in order (one barrier),
// so the four rows' stores (with their epilogues) run in parallel.
const F4_HOLD: u32 = 4u;
var<workgroup> qf_part: array<vec4<f32>, F4_T / FS>;

fn fold4_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  let s = subgroupAdd(v);
  if (lid % FS == 0u) {
    qf_part[lid / FS] = s;
  }
  workgroupBarrier();
  var t = vec4<f32>(0.0);
  if (lid < F4_HOLD) {
    for (var j = 0u; j < F4_T / FS; j++) {
      t += qf_part[j];
    }
  }
  return t;
}
