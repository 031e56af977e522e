// Matrix-vector products against a row-major weight W [N, K] (B = W^T, the layout of every
// Linear layer), the decode-time matmul. A workgroup of 256 threads computes 8 outputs: 32
// threads share a row of W and read it 16 bytes at a time (8 values of f16/bf16, two loads
// of f32), so each warp streams 512 contiguous bytes per step; the 32 partial sums are then
// folded in workgroup memory. gt_rows() is a constant, so the loops over rows unroll.
// Hooks: gt_rows() (M <= 8), gt_n(), gt_chunks() (K / 8), gt_batch(), gt_w8(b, n, q) and
// gt_x8(b, m, q) -> mat2x4<f32> (8 consecutive values along K), gt_store(b, m, n, v: f32).

const GT_LANES: u32 = 32u;
const GT_ROWS: u32 = 8u;
const GT_UNROLL: u32 = 4u;


@compute @workgroup_size(256)
fn gemvt_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let N = gt_n();
  let blocks = (N + GT_ROWS - 1u) / GT_ROWS;
  let b = g / blocks;
  let n = (g % blocks) * GT_ROWS + lid.x / GT_LANES;
  let lane = lid.x % GT_LANES;
  let M = gt_rows();
  let live = b < gt_batch() && n < N;
  var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  if (live) {
    let Q = gt_chunks();
    for (var q0 = lane; q0 < Q; q0 += GT_UNROLL * GT_LANES) {
      // GT_UNROLL loads in flight per thread (clamped indices; extra ones are not added)
      var ws: array<mat2x4<f32>, GT_UNROLL>;
      for (var u = 0u; u < GT_UNROLL; u++) {
        ws[u] = gt_w8(b, n, min(q0 + u * GT_LANES, Q - 1u));
      }
      for (var u = 0u; u < GT_UNROLL; u++) {
        let q = q0 + u * GT_LANES;
        if (q >= Q) {
          break;
        }
        for (var m = 0u; m < M; m++) {
          let x = gt_x8(b, m, q);
          acc[m] += dot(ws[u][0], x[0]) + dot(ws[u][1], x[1]);
        }
      }
    }
  }
  let sums = mxb_fold32(lid.x, M, acc);
  if (live && lane == 0u) {
    for (var m = 0u; m < M; m++) {
      gt_store(b, m, n, sums[m]);
    }
  }
}
