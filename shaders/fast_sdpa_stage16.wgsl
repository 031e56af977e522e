// Chunk staging of the flash kernel (fast_sdpa.wgsl) for float16/bfloat16 q, k and v whose
// rows are stored contiguously, with D and Dv multiples of 8: each thread loads 8 values (16
// bytes) of one row, all its loads before any store, and scatters them into the transposed
// tiles. Hooks: sd_q16(r, p), sd_k16(r, j, p), sd_v16(r, j, p) -> vec4<u32> (values 8p..8p+7
// of query row r, or of key j of row r's kv head), sd_dec(w) -> vec2<f32>, sd_scale().

fn sd_eight(w: vec4<u32>) -> mat2x4<f32> {
  return mat2x4<f32>(vec4<f32>(sd_dec(w.x), sd_dec(w.y)), vec4<f32>(sd_dec(w.z), sd_dec(w.w)));
}

fn sd_stage_qk(t: u32, c: u32, rbase: u32, q0: u32, k0: u32, kend: u32, rb: u32) {
  let lq = sd_lq();
  let D = sd_d();
  // Q: 64 rows x 4 eighths of the chunk, 2 per thread; K: 32 keys x 4 eighths, 1 per thread
  let g = t % 4u;
  let p = c * 4u + g;
  let live = p * 8u < D;
  var w: array<vec4<u32>, 3>;
  for (var i = 0u; i < 2u; i++) {
    let row = t / 4u + 32u * i;
    w[i] = select(vec4<u32>(0u), sd_q16(rbase + min(q0 + row, lq - 1u), min(p, D / 8u - 1u)), live);
  }
  let j = k0 + t / 4u;
  w[2] = select(vec4<u32>(0u), sd_k16(rb, min(j, kend - 1u), min(p, D / 8u - 1u)), live && j < kend);
  let s = sd_scale();
  for (var i = 0u; i < 2u; i++) {
    let row = t / 4u + 32u * i;
    let e = sd_eight(w[i]);
    for (var u = 0u; u < 8u; u++) {
      sd_qs[(8u * g + u) * 17u + row / 4u][row % 4u] = e[u / 4u][u % 4u] * s;
    }
  }
  let e = sd_eight(w[2]);
  let key = t / 4u;
  for (var u = 0u; u < 8u; u++) {
    sd_kt[(8u * g + u) * 9u + key / 4u][key % 4u] = e[u / 4u][u % 4u];
  }
}

fn sd_stage_v(t: u32, c: u32, k0: u32, kend: u32, rb: u32) {
  let DV = sd_dv();
  let g = t % 4u;
  let p = c * 4u + g;
  let j = k0 + t / 4u;
  let w = select(vec4<u32>(0u), sd_v16(rb, min(j, kend - 1u), min(p, DV / 8u - 1u)), p * 8u < DV && j < kend);
  let e = sd_eight(w);
  sd_kt[(t / 4u) * 8u + 2u * g] = e[0];
  sd_kt[(t / 4u) * 8u + 2u * g + 1u] = e[1];
}
