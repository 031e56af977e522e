// mx.fast.rms_norm / layer_norm over rows of length nm_len(): nm_tpr() threads per row
// (a power of two), NWG / nm_tpr() rows per workgroup; sums in f32 through workgroup
// memory, then each thread normalises its strided elements.
// Hooks: const NWG: u32; const NM_LAYER: bool; nm_rows, nm_len, nm_tpr, nm_eps,
// nm_load(row, j) -> f32, nm_store(row, j, y) (applies rounding, weight and bias).

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
    mu = mxb_fold_row(lid.x, base, tpr, s, false) / nf;
  }
  var q = 0.0;
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      let d = nm_load(row, j) - mu;
      q += d * d;
    }
  }
  let inv = inverseSqrt(mxb_fold_row(lid.x, base, tpr, q, false) / nf + nm_eps());
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      nm_store(row, j, (nm_load(row, j) - mu) * inv);
    }
  }
}
