// B's share of a prefetched K step of matmul_sm.wgsl: 4 values per load as sm_b4 / sm_bt4
// give them, held in registers during the multiplies, then stored to sm_bs.
// Hooks: those of matmul_sm.wgsl.

var<private> sm_rb: array<vec4<SM_T>, SM_LOADS>;

fn sm_fetch_b(b: u32, n0: u32, k0: u32, li: u32, N: u32, K: u32) {
  let q = SM_BK / 4u;
  for (var j = 0u; j < SM_LOADS; j++) {
    let i = li + j * 128u;
    if (MM_BT) {
      sm_rb[j] = sm_bt4(b, n0 + i / q, k0 + (i % q) * 4u, N, K);
    } else {
      sm_rb[j] = sm_b4(b, k0 + i / (SM_TILE / 4u), n0 + (i % (SM_TILE / 4u)) * 4u, K, N);
    }
  }
}

fn sm_put_b(li: u32) {
  let q = SM_BK / 4u;
  for (var j = 0u; j < SM_LOADS; j++) {
    let i = li + j * 128u;
    var ib = (i / (SM_TILE / 4u)) * SM_SB + (i % (SM_TILE / 4u)) * 4u;
    if (MM_BT) {
      ib = (i / q) * SM_SB + (i % q) * 4u;
    }
    let pb = sm_rb[j];
    sm_bs[ib] = pb.x;
    sm_bs[ib + 1u] = pb.y;
    sm_bs[ib + 2u] = pb.z;
    sm_bs[ib + 3u] = pb.w;
  }
}
