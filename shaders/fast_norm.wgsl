// mx.fast.rms_norm / layer_norm over rows of length nm_len(): nm_tpr() threads per row
// (a power of two), NWG / nm_tpr() rows per workgroup; sums in f32 through workgroup
// memory, then each thread normalises its strided elements.
// Hooks: const NWG: u32; const NM_LAYER: bool; nm_rows, nm_len, nm_tpr, nm_eps,
// nm_load(row, j) -> f32, nm_store(row, j, y) (applies rounding, weight and bias).

var<workgroup> nm_sh: array<f32, NWG>;

// Sum of v over the nm_tpr() threads of one row; every thread of the workgroup calls it.
fn nm_rowsum(lid: u32, base: u32, tpr: u32, v: f32) -> f32 {
  nm_sh[lid] = v;
  workgroupBarrier();
  for (var s = tpr >> 1u; s > 0u; s = s >> 1u) {
    if (lid - base < s) {
      nm_sh[lid] = nm_sh[lid] + nm_sh[lid + s];
    }
    workgroupBarrier();
  }
  let r = nm_sh[base];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(NWG)
fn norm_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let tpr = nm_tpr();
  let g = wid.y * nwg.x + wid.x;
  let t = lid.x % tpr;
  let base = lid.x - t;
  let row = g * (NWG / tpr) + lid.x / tpr;
  let ok = row < nm_rows();
  let n = nm_len();
  let nf = f32(n);
  var mu = 0.0;
  if (NM_LAYER) {
    var s = 0.0;
    if (ok) {
      for (var j = t; j < n; j += tpr) {
        s += nm_load(row, j);
      }
    }
    mu = nm_rowsum(lid.x, base, tpr, s) / nf;
  }
  var q = 0.0;
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      let d = nm_load(row, j) - mu;
      q += d * d;
    }
  }
  let inv = inverseSqrt(nm_rowsum(lid.x, base, tpr, q) / nf + nm_eps());
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      nm_store(row, j, (nm_load(row, j) - mu) * inv);
    }
  }
}
