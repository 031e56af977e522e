// Folds across the threads of a workgroup (at most 256 threads), through workgroup memory.

var<workgroup> mxb_fold: array<f32, 256>;

// Folds v over the `tpr` threads of a row that starts at thread `base` (max when take_max,
// else sum); every thread of the workgroup calls it and gets its row's result.
fn mxb_fold_row(lid: u32, base: u32, tpr: u32, v: f32, take_max: bool) -> f32 {
  mxb_fold[lid] = v;
  workgroupBarrier();
  for (var s = tpr >> 1u; s > 0u; s = s >> 1u) {
    if (lid - base < s) {
      let o = mxb_fold[lid + s];
      mxb_fold[lid] = select(mxb_fold[lid] + o, max(mxb_fold[lid], o), take_max);
    }
    workgroupBarrier();
  }
  let r = mxb_fold[base];
  workgroupBarrier();
  return r;
}

// Decode kernels: a 256-thread workgroup holds 8 rows of 32 lanes, each lane with up to 8
// partial sums (one per matrix row m < M); lane 0 of each row gets the totals.

var<workgroup> mxb_rows: array<f32, 2048>;

fn mxb_fold32(lid: u32, M: u32, acc: array<f32, 8>) -> array<f32, 8> {
  let lane = lid % 32u;
  for (var m = 0u; m < M; m++) {
    mxb_rows[m * 256u + lid] = acc[m];
  }
  workgroupBarrier();
  for (var s = 16u; s > 0u; s >>= 1u) {
    if (lane < s) {
      for (var m = 0u; m < M; m++) {
        mxb_rows[m * 256u + lid] += mxb_rows[m * 256u + lid + s];
      }
    }
    workgroupBarrier();
  }
  var r = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  for (var m = 0u; m < M; m++) {
    r[m] = mxb_rows[m * 256u + lid];
  }
  return r;
}
