// Fused elementwise/index-map kernel: one thread per output word. The generated
// mp_word(w) evaluates the expression for the 1, 2 or 4 elements packed in word w.
// Hooks: mp_words() -> u32, mp_word(w: u32) -> u32, binding `out`.

@compute @workgroup_size(256)
fn map_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = gid.y * (nwg.x * 256u) + gid.x;
  if (w >= mp_words()) {
    return;
  }
  out[w] = mp_word(w);
}
