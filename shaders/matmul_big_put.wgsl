// The 128x128 kernels' staging stores (matmul_big.wgsl and matmul_big8.wgsl both stage tiles
// as [k][32] vec4s in mmb_as and mmb_bs): values k..k+3 of a row (one vec4 along K) go to
// [k + e][r / 4] component r % 4, from i = k * 32 + r / 4 and c = r % 4. Constant indices
// only: a dynamically indexed vector or matrix may be kept in memory, not registers.
fn mmb_put_a(i: u32, c: u32, v: vec4<f32>) {
  mmb_as[i][c] = v.x;
  mmb_as[i + 32u][c] = v.y;
  mmb_as[i + 64u][c] = v.z;
  mmb_as[i + 96u][c] = v.w;
}

fn mmb_put_b(i: u32, c: u32, v: vec4<f32>) {
  mmb_bs[i][c] = v.x;
  mmb_bs[i + 32u][c] = v.y;
  mmb_bs[i + 64u][c] = v.z;
  mmb_bs[i + 96u][c] = v.w;
}
