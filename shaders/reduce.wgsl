// Row reductions over a [rows, len] view of the input (reduced axes moved last).
// reduce_wg: one workgroup folds one chunk of one row (each thread at most rd_iters()
// strided elements, then a tree in workgroup memory); more than one chunk per row means
// the caller runs another pass over the partials. reduce_thread: one thread per short row.
// Hooks: alias RA; const RWG: u32; rd_init, rd_comb, rd_load(row, r), rd_store(g, acc),
// rd_rows, rd_len, rd_chunk, rd_chunks, rd_fold(row, start, end, t) (thread t's share of a chunk).

struct RAcc {
  v: RA,
  i: u32,
}

var<workgroup> rd_sv: array<RA, RWG>;
var<workgroup> rd_si: array<u32, RWG>;

@compute @workgroup_size(RWG)
fn reduce_wg(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = rd_chunks();
  if (g >= rd_rows() * chunks) {
    return;
  }
  let row = g / chunks;
  let start = (g % chunks) * rd_chunk();
  let end = min(start + rd_chunk(), rd_len());
  var acc = rd_fold(row, start, end, lid.x);
  rd_sv[lid.x] = acc.v;
  rd_si[lid.x] = acc.i;
  workgroupBarrier();
  for (var s = RWG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      let m = rd_comb(RAcc(rd_sv[lid.x], rd_si[lid.x]), RAcc(rd_sv[lid.x + s], rd_si[lid.x + s]));
      rd_sv[lid.x] = m.v;
      rd_si[lid.x] = m.i;
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    rd_store(g, RAcc(rd_sv[0], rd_si[0]));
  }
}

@compute @workgroup_size(RWG)
fn reduce_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.y * (nwg.x * RWG) + gid.x;
  if (row >= rd_rows()) {
    return;
  }
  var acc = rd_init();
  let n = rd_len();
  for (var r = 0u; r < n; r++) {
    acc = rd_comb(acc, rd_load(row, r));
  }
  rd_store(row, acc);
}
