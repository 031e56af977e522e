// Quantized matrix-vector products (quantizedMatmul with transpose and at most 8 rows of
// x): the weights are dequantized in registers, never stored as floats. A workgroup of
// 64 threads computes QCOLS = 4 output columns; the 16 threads of a column split the K
// axis into packs of 32 values (QB consecutive u32 words, one scale and bias), keep one
// partial sum per row of x, and fold them in workgroup memory.
// Bits and rows are parameters (one pipeline serves them all), so registers hold the
// largest case: 8 words per pack, 8 rows.
// Hooks: qm_bits(), qm_rows() (at most 8), qm_batch() qm_cols() qm_packs() qm_blocks(),
// qm_word(b, n, j) -> u32, qm_sb(b, n, p) -> vec2<f32> (scale, bias of pack p),
// qm_val(c) -> f32 (value of a code), qm_x(b, m, k) -> f32, qm_store(b, m, n, v).

const QCOLS: u32 = 4u;
const QLANES: u32 = 16u;
const QMR: u32 = 8u;

var<workgroup> qv_part: array<f32, 64u * QMR>;

@compute @workgroup_size(64)
fn qmv_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let blocks = qm_blocks();
  if (g >= qm_batch() * blocks) {
    return;
  }
  let b = g / blocks;
  let lane = lid.x % QLANES;
  let n = (g % blocks) * QCOLS + lid.x / QLANES;
  var acc: array<f32, QMR>;
  let QB = qm_bits();
  let rows = qm_rows();
  if (n < qm_cols()) {
    let packs = qm_packs();
    for (var p = lane; p < packs; p += QLANES) {
      var wv: array<u32, 8>;
      for (var j = 0u; j < QB; j++) {
        wv[j] = qm_word(b, n, p * QB + j);
      }
      var q: array<f32, 32>;
      for (var v = 0u; v < 32u; v++) {
        let bit = v * QB;
        let j = bit >> 5u;
        let sh = bit & 31u;
        var c = wv[j] >> sh;
        if (sh + QB > 32u) {
          c |= wv[j + 1u] << (32u - sh);
        }
        q[v] = qm_val(c & ((1u << QB) - 1u));
      }
      let sb = qm_sb(b, n, p);
      for (var m = 0u; m < rows; m++) {
        var dot = 0.0;
        var xs = 0.0;
        for (var v = 0u; v < 32u; v++) {
          let xv = qm_x(b, m, p * 32u + v);
          dot += xv * q[v];
          xs += xv;
        }
        acc[m] += sb.x * dot + sb.y * xs;
      }
    }
  }
  for (var m = 0u; m < rows; m++) {
    qv_part[m * 64u + lid.x] = acc[m];
  }
  workgroupBarrier();
  for (var s = QLANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      for (var m = 0u; m < rows; m++) {
        qv_part[m * 64u + lid.x] += qv_part[m * 64u + lid.x + s];
      }
    }
    workgroupBarrier();
  }
  if (lane == 0u && n < qm_cols()) {
    for (var m = 0u; m < rows; m++) {
      qm_store(b, m, n, qv_part[m * 64u + lid.x]);
    }
  }
}

// The same product for 2, 4 and 8 bits, where no value straddles two words: each word is
// decoded in place and every row's partial sums live in two vec4s, so no per-thread arrays
// are indexed at run time (on GPUs those spill to slow local memory).
fn qmv_x4(b: u32, m0: u32, k: u32, rows: u32) -> vec4<f32> {
  return vec4<f32>(select(0.0, qm_x(b, m0, k), m0 < rows), select(0.0, qm_x(b, m0 + 1u, k), m0 + 1u < rows),
                   select(0.0, qm_x(b, m0 + 2u, k), m0 + 2u < rows), select(0.0, qm_x(b, m0 + 3u, k), m0 + 3u < rows));
}

var<workgroup> qp_lo: array<vec4<f32>, 64>;
var<workgroup> qp_hi: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn qmv_pow2(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let blocks = qm_blocks();
  if (g >= qm_batch() * blocks) {
    return;
  }
  let b = g / blocks;
  let lane = lid.x % QLANES;
  let n = (g % blocks) * QCOLS + lid.x / QLANES;
  let QB = qm_bits();
  let rows = qm_rows();
  let wide = rows > 4u;
  let per = 32u / QB;
  let mask = (1u << QB) - 1u;
  var lo = vec4<f32>(0.0);
  var hi = vec4<f32>(0.0);
  if (n < qm_cols()) {
    let packs = qm_packs();
    for (var p = lane; p < packs; p += QLANES) {
      var dlo = vec4<f32>(0.0);
      var slo = vec4<f32>(0.0);
      var dhi = vec4<f32>(0.0);
      var shi = vec4<f32>(0.0);
      for (var j = 0u; j < QB; j++) {
        let w = qm_word(b, n, p * QB + j);
        for (var v = 0u; v < per; v++) {
          let q = qm_val((w >> (v * QB)) & mask);
          let k = p * 32u + j * per + v;
          let xl = qmv_x4(b, 0u, k, rows);
          dlo += q * xl;
          slo += xl;
          if (wide) {
            let xh = qmv_x4(b, 4u, k, rows);
            dhi += q * xh;
            shi += xh;
          }
        }
      }
      let sb = qm_sb(b, n, p);
      lo += sb.x * dlo + sb.y * slo;
      hi += sb.x * dhi + sb.y * shi;
    }
  }
  qp_lo[lid.x] = lo;
  qp_hi[lid.x] = hi;
  workgroupBarrier();
  for (var s = QLANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      qp_lo[lid.x] += qp_lo[lid.x + s];
      qp_hi[lid.x] += qp_hi[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lane == 0u && n < qm_cols()) {
    for (var m = 0u; m < rows; m++) {
      var v: f32;
      if (m < 4u) {
        v = qp_lo[lid.x][m];
      } else {
        v = qp_hi[lid.x][m - 4u];
      }
      qm_store(b, m, n, v);
    }
  }
}
