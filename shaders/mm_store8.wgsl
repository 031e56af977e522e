// The 128x128 matmul's store of one row's 8 values (columns n..n+3 and n+64..n+67) through
// mm_store, skipping those outside the M x N result.
fn mm_store8(b: u32, m: u32, n: u32, lo: vec4<f32>, hi: vec4<f32>, M: u32, N: u32) {
  if (m < M) {
    for (var j = 0u; j < 4u; j++) {
      if (n + j < N) {
        mm_store(b, m, n + j, lo[j]);
      }
      if (n + 64u + j < N) {
        mm_store(b, m, n + 64u + j, hi[j]);
      }
    }
  }
}
