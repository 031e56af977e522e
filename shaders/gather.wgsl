// take along an axis: output element i sits at (pre q, index j, post r).

fn mxb_gather_pos(i: u32, nidx: u32, post: u32) -> vec3<u32> {
  let t = i / post;
  return vec3<u32>(t / nidx, t % nidx, i % post);
}

// Logical index into the source; negative indices wrap, then clamp (the CPU's fixIndex).
fn mxb_gather_src(p: vec3<u32>, k: i32, n: u32, post: u32) -> u32 {
  var j = k;
  if (j < 0) {
    j = j + i32(n);
  }
  j = clamp(j, 0, i32(n) - 1);
  return (p.x * n + u32(j)) * post + p.z;
}
