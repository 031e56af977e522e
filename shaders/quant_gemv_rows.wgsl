// Quantized matrix-vector products (decode) over packed weight rows: a workgroup of 256
// threads computes 8 outputs; the 32 threads of a row each take one pack of 32 values at a
// time (one 16-byte load at 4 bits, two at 8), dequantize in registers and fold the 32
// partial sums in workgroup memory. qm_rows() and qm_bits() are constants, so the loops over
// rows unroll and the accumulators stay in registers.
// Hooks: qm_rows() (M <= 8), qm_cols() (N), qm_packs() (K / 32), qm_batch(), qm_bits()
// (4 or 8), qm_pack4(b, n, p, h) -> vec4<u32> (16-byte half h of pack p of row n),
// qm_sb(b, n, p) -> (scale, bias) of the pack's group, qm_val(code) -> f32,
// qm_x8(b, m, q) -> mat2x4<f32> (x values 8q..8q+7 of row m), qm_store(b, m, n, v).

const QR_LANES: u32 = 32u;
const QR_ROWS: u32 = 8u;
const QR_UNROLL: u32 = 4u;


@compute @workgroup_size(256)
fn qmv_rows(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let N = qm_cols();
  let blocks = (N + QR_ROWS - 1u) / QR_ROWS;
  let b = g / blocks;
  let n = (g % blocks) * QR_ROWS + lid.x / QR_LANES;
  let lane = lid.x % QR_LANES;
  let M = qm_rows();
  let QB = qm_bits();
  let live = b < qm_batch() && n < N;
  var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  if (live) {
    let packs = qm_packs();
    for (var p0 = lane; p0 < packs; p0 += QR_UNROLL * QR_LANES) {
      // the loads of up to QR_UNROLL packs are issued first (indices clamped; a pack past the
      // row's end is loaded again but not added), so more bytes are in flight per thread
      var w0s: array<vec4<u32>, QR_UNROLL>;
      var w1s: array<vec4<u32>, QR_UNROLL>;
      var sbs: array<vec2<f32>, QR_UNROLL>;
      for (var u = 0u; u < QR_UNROLL; u++) {
        let pc = min(p0 + u * QR_LANES, packs - 1u);
        w0s[u] = qm_pack4(b, n, pc, 0u);
        if (QB == 8u) {
          w1s[u] = qm_pack4(b, n, pc, 1u);
        }
        sbs[u] = qm_sb(b, n, pc);
      }
      for (var u = 0u; u < QR_UNROLL; u++) {
        let p = p0 + u * QR_LANES;
        if (p >= packs) {
          break;
        }
        let w0 = w0s[u];
        let w1 = w1s[u];
        let sb = sbs[u];
        for (var m = 0u; m < M; m++) {
          var sd = 0.0;
          var sx = 0.0;
          // four runs of 8 values: one word at 4 bits, two at 8
          for (var c = 0u; c < 4u; c++) {
            let x = qm_x8(b, m, p * 4u + c);
            var lo: vec4<f32>;
            var hi: vec4<f32>;
            if (QB == 4u) {
              let w = w0[c];
              lo = vec4<f32>(qm_val(w & 15u), qm_val((w >> 4u) & 15u), qm_val((w >> 8u) & 15u), qm_val((w >> 12u) & 15u));
              hi = vec4<f32>(qm_val((w >> 16u) & 15u), qm_val((w >> 20u) & 15u), qm_val((w >> 24u) & 15u), qm_val(w >> 28u));
            } else {
              let wa = select(w1[(2u * c) & 3u], w0[(2u * c) & 3u], c < 2u);
              let wb = select(w1[(2u * c + 1u) & 3u], w0[(2u * c + 1u) & 3u], c < 2u);
              lo = vec4<f32>(qm_val(wa & 255u), qm_val((wa >> 8u) & 255u), qm_val((wa >> 16u) & 255u), qm_val(wa >> 24u));
              hi = vec4<f32>(qm_val(wb & 255u), qm_val((wb >> 8u) & 255u), qm_val((wb >> 16u) & 255u), qm_val(wb >> 24u));
            }
            sd += dot(lo, x[0]) + dot(hi, x[1]);
            sx += dot(x[0] + x[1], vec4<f32>(1.0));
          }
          acc[m] += sb.x * sd + sb.y * sx;
        }
      }
    }
  }
  let sums = mxb_fold32(lid.x, M, acc);
  if (live && lane == 0u) {
    for (var m = 0u; m < M; m++) {
      qm_store(b, m, n, sums[m]);
    }
  }
}
