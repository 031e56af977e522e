// mx.fast.scaled_dot_product_attention, prefill on subgroup matrices (tensor cores): float16
// q, k, v with rows stored contiguously, head dims multiples of 32 up to 128. A workgroup of
// SA_NSG subgroups (4, or 8 at head size 128 where workgroup memory allows) takes 16 query
// rows of one (batch, head) per subgroup, and walks the keys in tiles of SA_BK staged in
// workgroup memory. Scores and probabilities go through per-subgroup workgroup memory, where
// lane pairs own a row. The result matrices can't be rescaled row by
// row in registers, so each row's reference maximum moves only when a score passes it by
// SA_SLACK; o is then rescaled through workgroup memory (rare after the first tiles).
// Hooks: the flash kernel's (sd_lq, sd_qblocks, sd_bh, sd_score, sd_sink, sd_l0, sd_kend,
// sd_store, sd_q16, sd_k16, sd_v16, sd_dec, sd_scale); types SA_LEFT, SA_RIGHT, SA_RESULT;
// consts SA_NSG, SA_BK, SA_SK, SA_SV, SA_SS, SA_SP, SA_NQ, SA_NO, SA_VOFF, SA_KV, SA_D, SA_DV;
// generated sa_load_q(sg, &qf), sa_scores(sg, &qf) (a tile's scores into sa_s),
// sa_pv(sg, &o) (o += P V of a tile), sa_rescale(sg, lane, a, &o),
// sa_finish(sg, lane, r, i, l, &o).
enable chromium_experimental_subgroup_matrix;
enable subgroups;
// offsets derive from subgroup_id, uniform in each subgroup (WGSL's analysis is per workgroup)
diagnostic(off, chromium_experimental.subgroup_matrix_uniformity);

// the Q block (64 rows at a time, SA_SK apart) at the start; then the K tile (SA_BK rows
// SA_SK apart) and the V tile from SA_VOFF (rows SA_SV apart); rows padded by 16 bytes (bank conflicts)
var<workgroup> sa_kv: array<f16, SA_KV>;
// per subgroup: its 16 rows of a tile's scores (f32, rows SA_SS apart), later of results;
// then SA_MOVE, set when some row's reference maximum moved after the first tile (o must be
// rescaled). (A u32 workgroup variable of its own gave wrong results on an H100.)
var<workgroup> sa_s: array<f32, SA_BQ * SA_SS + 4u>;
const SA_MOVE: u32 = SA_BQ * SA_SS;
// per subgroup: its 16 rows of a tile's probabilities (f16, rows SA_SP apart)
var<workgroup> sa_p: array<f16, SA_BQ * SA_SP>;
const SD_NEG: f32 = -3.4028234e38;
// how far past a row's reference maximum scores may go before it moves (p <= e^8 ~ 2981)
const SA_SLACK: f32 = 8.0;
// threads and query rows of a workgroup (SA_NSG subgroups of 32, 16 rows each)
const SA_WG: u32 = 32u * SA_NSG;
const SA_BQ: u32 = 16u * SA_NSG;
// 16-byte loads per thread: 64 rows of the Q block, a K tile, a V tile
const SA_QL: u32 = 64u * (SA_D / 8u) / SA_WG;
const SA_KL: u32 = SA_BK * (SA_D / 8u) / SA_WG;
const SA_VL: u32 = SA_BK * (SA_DV / 8u) / SA_WG;

fn sa_put8(at: u32, w: vec4<u32>) {
  for (var u = 0u; u < 4u; u++) {
    let h = bitcast<vec2<f16>>(w[u]);
    sa_kv[at + 2u * u] = h.x;
    sa_kv[at + 2u * u + 1u] = h.y;
  }
}

// Q rows q0..q0+63 times the scale, as f16 (the Q block 64 rows at a time): 8 values a
// load, all loads before the stores
fn sa_stage_q(t: u32, base: u32, q0: u32) {
  let lq = sd_lq();
  let PER = SA_D / 8u;
  var w: array<vec4<u32>, SA_QL>;
  for (var n = 0u; n < SA_QL; n++) {
    let e = t + SA_WG * n;
    w[n] = sd_q16(base + min(q0 + e / PER, lq - 1u), e % PER);
  }
  let s = sd_scale();
  for (var n = 0u; n < SA_QL; n++) {
    let e = t + SA_WG * n;
    let at = (e / PER) * SA_SK + (e % PER) * 8u;
    for (var u = 0u; u < 4u; u++) {
      let v = sd_dec(w[n][u]) * s;
      sa_kv[at + 2u * u] = f16(v.x);
      sa_kv[at + 2u * u + 1u] = f16(v.y);
    }
  }
}

// keys k0..k0+SA_BK-1 of the kv head of row rb (zeros from kend on), K and, with v, V
fn sa_stage_kv(t: u32, k0: u32, kend: u32, rb: u32, v: bool) {
  let PK = SA_D / 8u;
  let PV = SA_DV / 8u;
  var wk: array<vec4<u32>, SA_KL>;
  var wv: array<vec4<u32>, SA_VL>;
  for (var n = 0u; n < SA_KL; n++) {
    let e = t + SA_WG * n;
    let j = k0 + e / PK;
    wk[n] = select(vec4<u32>(0u), sd_k16(rb, min(j, kend - 1u), e % PK), j < kend);
  }
  if (v) {
    for (var n = 0u; n < SA_VL; n++) {
      let e = t + SA_WG * n;
      let j = k0 + e / PV;
      wv[n] = select(vec4<u32>(0u), sd_v16(rb, min(j, kend - 1u), e % PV), j < kend);
    }
  }
  for (var n = 0u; n < SA_KL; n++) {
    let e = t + SA_WG * n;
    sa_put8((e / PK) * SA_SK + (e % PK) * 8u, wk[n]);
  }
  if (v) {
    for (var n = 0u; n < SA_VL; n++) {
      let e = t + SA_WG * n;
      sa_put8(SA_VOFF + (e / PV) * SA_SV + (e % PV) * 8u, wv[n]);
    }
  }
}

// lane pair 2q, 2q+1 of subgroup sg: row q, each half of the tile's keys; results of column
// block j of the output (16 values a row, 8 a lane)
fn sa_emit(sg: u32, lane: u32, r: u32, i: u32, j: u32, l: f32) {
  let row = (16u * sg + lane / 2u) * SA_SS + (lane % 2u) * 8u;
  if (i < sd_lq()) {
    for (var u = 0u; u < 8u; u++) {
      let d = 16u * j + (lane % 2u) * 8u + u;
      sd_store(r, d, sa_s[row + u] / l);
    }
  }
}

// this lane's half of its row of o's column block j, in sa_s, times a
fn sa_scale(sg: u32, lane: u32, a: f32) {
  let row = (16u * sg + lane / 2u) * SA_SS + (lane % 2u) * 8u;
  for (var u = 0u; u < 8u; u++) {
    sa_s[row + u] *= a;
  }
}

@compute @workgroup_size(SA_WG)
fn sdpa_sm(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>, @builtin(subgroup_id) sg: u32,
           @builtin(subgroup_invocation_id) lane: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= sd_qblocks() * sd_bh()) {
    return;
  }
  let qb = g % sd_qblocks();
  let bh = g / sd_qblocks();
  let lq = sd_lq();
  let q0 = qb * SA_BQ;
  let base = bh * lq;
  // the first row of the block names the kv head (all rows share it)
  let rb = base + min(q0, lq - 1u);
  // this lane's softmax row and half of each tile
  let i = q0 + 16u * sg + lane / 2u;
  let r = base + min(i, lq - 1u);
  let srow = (16u * sg + lane / 2u);
  let h0 = (lane % 2u) * (SA_BK / 2u);
  var qf: array<SA_LEFT, SA_NQ>;
  for (var h = 0u; h < SA_NSG / 4u; h++) {
    workgroupBarrier();
    sa_stage_q(t, base, q0 + 64u * h);
    workgroupBarrier();
    if (sg / 4u == h) {
      sa_load_q(sg, &qf);
    }
  }
  let kend = sd_kend(base + min(q0 + SA_BQ, lq) - 1u);
  // one pass with a lazily moved reference maximum m per row: p = exp(s - m) stays below
  // e^SA_SLACK (f16 holds it), and only a score beyond m + SA_SLACK moves m, rescaling l and
  // (all subgroups together, through workgroup memory: rare after the first tiles) o
  var m = sd_sink(r);
  var l = sd_l0();
  var o: array<SA_RESULT, SA_NO>;
  for (var k0 = 0u; k0 < kend; k0 += SA_BK) {
    workgroupBarrier();
    if (t == 0u) {
      sa_s[SA_MOVE] = 0.0;
    }
    sa_stage_kv(t, k0, kend, rb, true);
    workgroupBarrier();
    sa_scores(sg, &qf);
    workgroupBarrier();
    var s: array<f32, SA_BK / 2u>;
    var tmax = m;
    for (var u = 0u; u < SA_BK / 2u; u++) {
      let j = k0 + h0 + u;
      s[u] = SD_NEG;
      if (j < kend) {
        s[u] = sd_score(r, j, sa_s[srow * SA_SS + h0 + u]);
        tmax = max(tmax, s[u]);
      }
    }
    tmax = max(tmax, subgroupShuffleXor(tmax, 1u));
    var a = 1.0;
    if (tmax > m + SA_SLACK) {
      a = exp(m - tmax);
      m = tmax;
      if (k0 > 0u) {
        sa_s[SA_MOVE] = 1.0;
      }
    }
    var ps = 0.0;
    for (var u = 0u; u < SA_BK / 2u; u++) {
      let j = k0 + h0 + u;
      var p = 0.0;
      if (j < kend) {
        p = exp(s[u] - m);
      }
      ps += p;
      sa_p[srow * SA_SP + h0 + u] = f16(p);
    }
    l = l * a + ps + subgroupShuffleXor(ps, 1u);
    if (workgroupUniformLoad(&sa_s[SA_MOVE]) != 0.0) {
      sa_rescale(sg, lane, a, &o);
    }
    sa_pv(sg, &o);
  }
  workgroupBarrier();
  sa_finish(sg, lane, r, i, l, &o);
}
