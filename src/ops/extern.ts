// Applying an extern op: run its shape rule, then make one lazy node per output, all
// sharing one call record so the kernel runs once for the group.
import type { MxArray } from '../core/array.ts';
import type { Device } from '../core/device.ts';
import type { ExternCall, ExternOp } from '../ir/extern.ts';
import { bind } from './core.ts';

/**
 * The outputs of `op` applied to `inputs` (all on `device`).
 * @example
 * const [values] = callExtern(SORT, [x], { axis: -1 }, x.device);
 */
export function callExtern<A>(op: ExternOp<A>, inputs: MxArray[], attrs: A, device: Device): MxArray[] {
  const specs = op.outputs(inputs.map((x) => ({ shape: x.shape, dtype: x.dtype })), attrs);
  const call: ExternCall = { outs: [] };
  specs.forEach((s, index) => {
    (call.outs as MxArray[]).push(bind('extern', inputs, { op, attrs, index, call }, [...s.shape], s.dtype, device));
  });
  return call.outs;
}
