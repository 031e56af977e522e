// randomBits: word i is component (i % 2) of threefry2x32(key, (i / 2, 0)), as the CPU kernel.

fn mxb_random_word(key: vec2<u32>, i: u32) -> u32 {
  let r = mx_threefry2x32(key, vec2<u32>(i / 2u, 0u));
  return select(r.y, r.x, (i & 1u) == 0u);
}
