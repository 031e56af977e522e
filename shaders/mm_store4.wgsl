// The 64x64 matmul's store of 4 values of row m (columns n..n+3) through mm_store, skipping
// those outside the M x N result.
fn mm_store4(b: u32, m: u32, n: u32, v: vec4<MA>, M: u32, N: u32) {
  if (m < M) {
    for (var j = 0u; j < 4u; j++) {
      if (n + j < N) {
        mm_store(b, m, n + j, v[j]);
      }
    }
  }
}
