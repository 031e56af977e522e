// B's share of a prefetched K step of matmul_sm.wgsl for packed 4- or 8-bit weights stored
// [N][K] (quantizedMatmul with transpose): a K step (SM_BK = 32 or 64) is one or two packs of
// 32 codes of each row, so packs load whole (16 or 32 bytes) with one scale and bias, where
// 4-value loads took a word and a scale and bias per 4 values. SMQ_SPLIT threads share a row
// (all 128 threads work at any tile size), each dequantizing SMQ_V (16 or 32) codes: half a
// pack or a whole one.
// Hooks: const QB_BITS (4 or 8); qm_pack4(b, n, p, h) -> vec4<u32> (16-byte half h of pack
// p of row n), qm_sb(b, n, p) -> (scale, bias), qm_val(code) -> f32; those of matmul_sm.wgsl.

const SMQ_SPLIT: u32 = 128u / SM_TILE;
const SMQ_V: u32 = SM_BK / SMQ_SPLIT;

// this thread's words (its codes from word 0) and its row's scale and bias
var<private> smq_w0: vec4<u32>;
var<private> smq_w1: vec4<u32>;
var<private> smq_sb: vec2<f32>;

fn sm_fetch_b(b: u32, n0: u32, k0: u32, li: u32, N: u32, K: u32) {
  // rows past the end read the last one (their products are not stored)
  let n = min(n0 + li / SMQ_SPLIT, N - 1u);
  // this thread's first code: pack p, its half h (0 where the thread takes the whole pack)
  let kk = k0 + (li % SMQ_SPLIT) * SMQ_V;
  let p = kk / 32u;
  let h = (kk % 32u) / 16u;
  if (QB_BITS == 4u) {
    let w = qm_pack4(b, n, p, 0u);
    smq_w0 = select(vec4<u32>(w.z, w.w, 0u, 0u), w, h == 0u);
  } else {
    smq_w0 = qm_pack4(b, n, p, h);
    if (SMQ_V == 32u) {
      smq_w1 = qm_pack4(b, n, p, 1u);
    }
  }
  smq_sb = qm_sb(b, n, p);
}

fn sm_put_b(li: u32) {
  let at = (li / SMQ_SPLIT) * SM_SB + (li % SMQ_SPLIT) * SMQ_V;
  for (var e = 0u; e < SMQ_V; e++) {
    var c: u32;
    if (QB_BITS == 4u) {
      c = (smq_w0[e / 8u] >> ((e % 8u) * 4u)) & 15u;
    } else {
      let w = select(smq_w1[(e / 4u) & 3u], smq_w0[(e / 4u) & 3u], e < 16u);
      c = (w >> ((e % 4u) * 8u)) & 255u;
    }
    sm_bs[at + e] = SM_T(smq_sb.x * qm_val(c) + smq_sb.y);
  }
}
