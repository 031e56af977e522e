// Decode GEMV over 4- or 8-bit affine weights and one row of x: a workgroup of F4_T threads
// computes 4 outputs. Each thread takes a pack of 32 values of all 4 rows at a time (16 bytes
// per row at 4 bits, 32 at 8), so each x load serves four rows. Codes are masked in place
// (at 4 bits w & 0xf0 is 16 q, up to w & 0xf000; at 8 bits w & 0xff00 is 256 q, up to
// w & 0xff000000) and x is prescaled by the inverse powers instead of shifting every code.
// Hooks: const F4_T (threads), const QG_BITS (4 or 8), and those of quant_gemv_rows.wgsl
// (qm_cols, qm_packs, qm_batch, qm_pack4, qm_sb, qm_x8 with m = 0), r4_store(b, n, v)
// (rows4.wgsl), fold4_sum(lid, v) -> vec4<f32> (workgroup sum, at 0).

const QG_MASK4 = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
const QG_MASK8 = vec4<u32>(0xffu, 0xff00u, 0xff0000u, 0xff000000u);
const QG_PRE = select(vec4<f32>(1.0, 0.00390625, 1.52587890625e-05, 5.9604644775390625e-08),
                      vec4<f32>(1.0, 0.0625, 0.00390625, 0.000244140625), QG_BITS == 4u);

// 8 codes (chunk c of a pack: one word at 4 bits, two at 8) times 8 prescaled x values, into
// 4 running sums
fn qg_chunk(lo: vec4<u32>, hi: vec4<u32>, c: u32, y0: vec4<f32>, y1: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
  var a: vec4<f32>;
  var e: vec4<f32>;
  if (QG_BITS == 4u) {
    a = vec4<f32>(vec4<u32>(lo[c]) & QG_MASK4);
    e = vec4<f32>(vec4<u32>(lo[c] >> 16u) & QG_MASK4);
  } else {
    let h = select(hi, lo, c < 2u);
    a = vec4<f32>(vec4<u32>(h[(2u * c) & 3u]) & QG_MASK8);
    e = vec4<f32>(vec4<u32>(h[(2u * c + 1u) & 3u]) & QG_MASK8);
  }
  return fma(e, y1, fma(a, y0, d));
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
      var d0 = vec4<f32>(0.0);
      var d1 = vec4<f32>(0.0);
      var d2 = vec4<f32>(0.0);
      var d3 = vec4<f32>(0.0);
      var sx = vec4<f32>(0.0);
      for (var c = 0u; c < 4u; c++) {
        let x = qm_x8(b, 0u, p * 4u + c);
        let y0 = x[0] * QG_PRE;
        let y1 = x[1] * QG_PRE;
        sx += x[0] + x[1];
        d0 = qg_chunk(w0, v0, c, y0, y1, d0);
        d1 = qg_chunk(w1, v1, c, y0, y1, d1);
        d2 = qg_chunk(w2, v2, c, y0, y1, d2);
        d3 = qg_chunk(w3, v3, c, y0, y1, d3);
      }
      let one = vec4<f32>(1.0);
      let sd = vec4<f32>(dot(d0, one), dot(d1, one), dot(d2, one), dot(d3, one));
      acc += vec4<f32>(s0.x, s1.x, s2.x, s3.x) * sd + vec4<f32>(s0.y, s1.y, s2.y, s3.y) * dot(sx, one);
    }
  }
  let t = fold4_sum(lid.x, acc);
  if (live && lid.x == 0u) {
    rows4_store(r, N, t);
  }
}
