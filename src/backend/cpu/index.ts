// The CPU backend: runs each primitive with the reference kernels; views share storage.
import type { MxArray, Realized } from '../../core/array.ts';
import { ensureCpu } from '../../core/transfer.ts';
import { debugState } from '../../core/debug.ts';
import { registerBackend, realizedOf, type Backend } from '../../ir/eval.ts';
import { cpuIn } from './strided.ts';
import { runCpuKernel, type KIn } from './kernels.ts';

const cpuBackend: Backend = {
  async run(nodes: MxArray[], env: Map<MxArray, Realized>, needed: Set<MxArray>): Promise<void> {
    // last use of each value inside this segment, to drop temporaries early
    const last = new Map<MxArray, number>();
    nodes.forEach((n, i) => n._node!.inputs.forEach((x) => last.set(x, i)));
    const local = new Map<MxArray, Realized>();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const ins: KIn[] = [];
      for (const x of n._node!.inputs) {
        const r = local.get(x) ?? realizedOf(x, env);
        if (!r.storage.cpu) await ensureCpu(r.storage);
        let cached: ReturnType<typeof cpuIn> | null = null;
        ins.push({ r, a: x, in: () => (cached ??= cpuIn(r, x.shape, x.dtype)) });
      }
      if (debugState.logKernels) debugState.log(`[cpu] ${n._node!.prim} -> (${n.shape.join(',')}) ${n.dtype.name}`);
      const out = runCpuKernel(n, ins);
      out.storage.retain();
      local.set(n, out);
      for (const x of n._node!.inputs) {
        if (last.get(x) === i && local.has(x) && !needed.has(x)) {
          local.get(x)!.storage.drop();
          local.delete(x);
        }
      }
    }
    // needed results pass their reference on to env; the rest are freed
    for (const [k, r] of local) {
      if (needed.has(k)) env.set(k, r);
      else r.storage.drop();
    }
  },
};

registerBackend('cpu', cpuBackend);
