// Quantized matrix-vector products (decode) over packed weight rows: a workgroup of 256
// threads computes 8 outputs; the 32 threads of a row each take one pack of 32 values at a
// time (one 16-byte load at 4 bits, two at 8), dequantize in registers and fold the 32
// partial sums in workgroup memory.
// Hooks: qm_rows() (M <= 8), qm_cols() (N), qm_packs() (K / 32), qm_batch(), qm_bits()
// (4 or 8), qm_pack4(b, n, p, h) -> vec4<u32> (16-byte half h of pack p of row n),
// qm_sb(b, n, p) -> (scale, bias) of the pack's group, qm_val(code) -> f32,
// qm_x(b, m, k) -> f32, qm_store(b, m, n, v).

const QR_LANES: u32 = 32u;
const QR_ROWS: u32 = 8u;

var<workgroup> qr_red: array<f32, 2048>;

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
  let per = 32u / QB;
  let mask = (1u << QB) - 1u;
  let live = b < qm_batch() && n < N;
  var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  if (live) {
    let packs = qm_packs();
    for (var p = lane; p < packs; p += QR_LANES) {
      let w0 = qm_pack4(b, n, p, 0u);
      var w1 = vec4<u32>(0u);
      if (QB == 8u) {
        w1 = qm_pack4(b, n, p, 1u);
      }
      let sb = qm_sb(b, n, p);
      let k0 = p * 32u;
      for (var m = 0u; m < M; m++) {
        var dot = 0.0;
        var xs = 0.0;
        for (var j = 0u; j < QB; j++) {
          let w = select(w1[j & 3u], w0[j & 3u], j < 4u);
          for (var v = 0u; v < per; v++) {
            let x = qm_x(b, m, k0 + j * per + v);
            dot += qm_val((w >> (v * QB)) & mask) * x;
            xs += x;
          }
        }
        acc[m] += sb.x * dot + sb.y * xs;
      }
    }
  }
  for (var m = 0u; m < M; m++) {
    qr_red[m * 256u + lid.x] = acc[m];
  }
  workgroupBarrier();
  for (var s = QR_LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      for (var m = 0u; m < M; m++) {
        qr_red[m * 256u + lid.x] += qr_red[m * 256u + lid.x + s];
      }
    }
    workgroupBarrier();
  }
  if (live && lane == 0u) {
    for (var m = 0u; m < M; m++) {
      qm_store(b, m, n, qr_red[m * 256u + lid.x]);
    }
  }
}
