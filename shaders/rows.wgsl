// Row sums for decode kernels: a 256-thread workgroup holds 8 rows of 32 lanes, each lane
// with up to 8 partial sums (one per matrix row m < M); the lanes of a row are folded in
// workgroup memory, and lane 0 of each row gets the totals.

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
