// Decode GEMV over 4- or 8-bit affine weights and one row of x: a workgroup of F4_T threads
// computes 4 outputs. Each thread takes a pack of 32 values of all 4 rows at a time (16 bytes
// per row at 4 bits, 32 at 8), so each x load serves four rows. Codes are masked in place
// (at 4 bits w & 0xf0 is 16 q, up to w & 0xf000; at 8 bits w & 0xff00 is 256 q, up to
// w & 0xff000000) and x is prescaled by the inverse powers instead of shifting every code.
// Hooks: const F4_T (threads), const QG_BITS (4 or 8), and those of quant_gemv_rows.wgsl
// (qm_cols, qm_packs, qm_batch, qm_pack4, qm_sb, qm_x8 with m = 0), r4_store(b, n, v)
// (rows4.wgsl), fold4_sum(lid, v) -> vec4<f32> and F4_HOLD (the sum, at threads 0..F4_HOLD-1).

const QG_MASK4 = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
const QG_MASK8 = vec4<u32>(0xffu, 0xff00u, 0xff0000u, 0xff000000u);
const QG_PRE = select(vec4<f32>(1.0, 0.00390625, 1.52587890625e-05, 5.9604644775390625e-08),
                      vec4<f32>(1.0, 0.0625, 0.00390625, 0.000244140625), QG_BITS == 4u);

// x values 32p..32p+31 of a pack, prescaled (y0..y7: 4 each), and their plain sum
struct QgX {
  y0: vec4<f32>,
  y1: vec4<f32>,
  y2: vec4<f32>,
  y3: vec4<f32>,
  y4: vec4<f32>,
  y5: vec4<f32>,
  y6: vec4<f32>,
  y7: vec4<f32>,
  sx: f32,
}

fn qg_x(b: u32, p: u32) -> QgX {
  let a = qm_x8(b, 0u, p * 4u);
  let c = qm_x8(b, 0u, p * 4u + 1u);
  let e = qm_x8(b, 0u, p * 4u + 2u);
  let g = qm_x8(b, 0u, p * 4u + 3u);
  let s = a[0] + a[1] + c[0] + c[1] + e[0] + e[1] + g[0] + g[1];
  return QgX(a[0] * QG_PRE, a[1] * QG_PRE, c[0] * QG_PRE, c[1] * QG_PRE, e[0] * QG_PRE, e[1] * QG_PRE,
             g[0] * QG_PRE, g[1] * QG_PRE, dot(s, vec4<f32>(1.0)));
}

// 4 codes of a word, masked in place (times 1, 16, 256, 4096 at 4 bits; 1, 2^8, 2^16, 2^24 at 8)
fn qg_codes(w: u32) -> vec4<f32> {
  return vec4<f32>(vec4<u32>(w) & select(QG_MASK8, QG_MASK4, QG_BITS == 4u));
}

// One row's pack (w, and v for the second 16 bytes at 8 bits) against the pack's x: the sum of
// code times x. Word components are named, not indexed, so the loads stay in registers.
fn qg_dot(w: vec4<u32>, v: vec4<u32>, x: QgX) -> f32 {
  var d: vec4<f32>;
  if (QG_BITS == 4u) {
    d = qg_codes(w.x) * x.y0;
    d = fma(qg_codes(w.x >> 16u), x.y1, d);
    d = fma(qg_codes(w.y), x.y2, d);
    d = fma(qg_codes(w.y >> 16u), x.y3, d);
    d = fma(qg_codes(w.z), x.y4, d);
    d = fma(qg_codes(w.z >> 16u), x.y5, d);
    d = fma(qg_codes(w.w), x.y6, d);
    d = fma(qg_codes(w.w >> 16u), x.y7, d);
  } else {
    d = qg_codes(w.x) * x.y0;
    d = fma(qg_codes(w.y), x.y1, d);
    d = fma(qg_codes(w.z), x.y2, d);
    d = fma(qg_codes(w.w), x.y3, d);
    d = fma(qg_codes(v.x), x.y4, d);
    d = fma(qg_codes(v.y), x.y5, d);
    d = fma(qg_codes(v.z), x.y6, d);
    d = fma(qg_codes(v.w), x.y7, d);
  }
  return dot(d, vec4<f32>(1.0));
}

@compute @workgroup_size(F4_T)
fn qgemv4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
          @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let N = qm_cols();
  let r = rows4(g, N);
  let b = r.b;
  let n0 = r.n.x;
  let n1 = r.n.y;
  let n2 = r.n.z;
  let n3 = r.n.w;
  let live = b < qm_batch();
  var acc = vec4<f32>(0.0);
  if (live) {
    let packs = qm_packs();
    for (var p = lid.x; p < packs; p += F4_T) {
      let w0 = qm_pack4(b, n0, p, 0u);
      let w1 = qm_pack4(b, n1, p, 0u);
      let w2 = qm_pack4(b, n2, p, 0u);
      let w3 = qm_pack4(b, n3, p, 0u);
      // the second 16 bytes of each pack at 8 bits
      var v0 = w0;
      var v1 = w1;
      var v2 = w2;
      var v3 = w3;
      if (QG_BITS == 8u) {
        v0 = qm_pack4(b, n0, p, 1u);
        v1 = qm_pack4(b, n1, p, 1u);
        v2 = qm_pack4(b, n2, p, 1u);
        v3 = qm_pack4(b, n3, p, 1u);
      }
      let s0 = qm_sb(b, n0, p);
      let s1 = qm_sb(b, n1, p);
      let s2 = qm_sb(b, n2, p);
      let s3 = qm_sb(b, n3, p);
      let x = qg_x(b, p);
      let sd = vec4<f32>(qg_dot(w0, v0, x), qg_dot(w1, v1, x), qg_dot(w2, v2, x), qg_dot(w3, v3, x));
      acc += vec4<f32>(s0.x, s1.x, s2.x, s3.x) * sd + vec4<f32>(s0.y, s1.y, s2.y, s3.y) * x.sx;
    }
  }
  let t = fold4_sum(lid.x, acc);
  if (live && lid.x < F4_HOLD) {
    rows4_store(r, N, t, lid.x);
  }
}
