// concatenate: output element i as (outer, position along the axis, inner).

fn mxb_concat_pos(i: u32, inner: u32, total: u32) -> vec3<u32> {
  let t = i / inner;
  return vec3<u32>(t / total, t % total, i % inner);
}

// Logical index into one input that starts at `start` along the axis and has `len` there.
fn mxb_concat_src(p: vec3<u32>, start: u32, len: u32, inner: u32) -> u32 {
  return (p.x * len + (p.y - start)) * inner + p.z;
}
