enable subgroups;
// reduce_wg with subgroup operations for the cross-thread step (devices with `subgroups`):
// each subgroup folds its threads' values with rd_sg (subgroupAdd/Mul/Max/Min), one elected
// lane per subgroup takes a slot from a counter (so no subgroup layout is assumed), and
// thread 0 folds the slots. Hooks: as reduce.wgsl, plus rd_sg(v: RA) -> RA.

struct RAcc {
  v: RA,
  i: u32,
}

var<workgroup> rd_part: array<RA, RWG>;
var<workgroup> rd_slots: atomic<u32>;

@compute @workgroup_size(RWG)
fn reduce_sg(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = rd_chunks();
  if (g >= rd_rows() * chunks) {
    return;
  }
  // the slot counter starts at zero explicitly (runners may skip workgroup zero-init)
  if (lid.x == 0u) {
    atomicStore(&rd_slots, 0u);
  }
  workgroupBarrier();
  let row = g / chunks;
  let start = (g % chunks) * rd_chunk();
  let end = min(start + rd_chunk(), rd_len());
  var acc = rd_fold(row, start, end, lid.x);
  let s = rd_sg(acc.v);
  if (subgroupElect()) {
    rd_part[atomicAdd(&rd_slots, 1u)] = s;
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    let n = atomicLoad(&rd_slots);
    var t = rd_init();
    for (var j = 0u; j < n; j++) {
      t = rd_comb(t, RAcc(rd_part[j], 0u));
    }
    rd_store(g, t);
  }
}
