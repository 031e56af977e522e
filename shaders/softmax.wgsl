// Softmax over rows of length sm_len(): sm_tpr() threads per row (a power of two), SWG /
// sm_tpr() rows per workgroup. Three strided passes over the row: the maximum, the sum of
// exp(x - max), then the normalised values; the folds go through workgroup memory in f32.
// Hooks: const SWG: u32; sm_rows, sm_len, sm_tpr, sm_load(row, j) -> f32, sm_store(row, j, y).

@compute @workgroup_size(SWG)
fn softmax_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let tpr = sm_tpr();
  let g = wid.y * nwg.x + wid.x;
  let t = lid.x % tpr;
  let base = lid.x - t;
  let row = g * (SWG / tpr) + lid.x / tpr;
  let ok = row < sm_rows();
  let n = sm_len();
  var m = -3.4028234663852886e38;
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      m = max(m, sm_load(row, j));
    }
  }
  m = mxb_fold_row(lid.x, base, tpr, m, true);
  var s = 0.0;
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      s += exp(sm_load(row, j) - m);
    }
  }
  let inv = 1.0 / mxb_fold_row(lid.x, base, tpr, s, false);
  if (ok) {
    for (var j = t; j < n; j += tpr) {
      sm_store(row, j, exp(sm_load(row, j) - m) * inv);
    }
  }
}
