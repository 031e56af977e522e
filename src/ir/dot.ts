// Graphviz export of a lazy graph (MLX's export_to_dot).
import { MxArray } from '../core/array.ts';
import { collectArrays } from './eval.ts';

/**
 * The graph behind arrays as Graphviz DOT text; realized arrays appear as leaves.
 * @example
 * console.log(mx.exportToDot(mx.exp(x).sum()));
 */
export function exportToDot(...outputs: unknown[]): string {
  const outs = collectArrays(outputs);
  const ids = new Map<MxArray, string>();
  const lines = ['digraph webmlx {', '  rankdir=LR;'];
  const stack = [...outs];
  const seen = new Set<MxArray>();
  const id = (a: MxArray) => {
    if (!ids.has(a)) ids.set(a, `n${ids.size}`);
    return ids.get(a)!;
  };
  while (stack.length) {
    const a = stack.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    const label = a._node ? a._node.prim : 'array';
    const shape = a._node ? 'box' : 'ellipse';
    lines.push(`  ${id(a)} [label="${label}\\n(${a.shape.join(',')}) ${a.dtype.name}", shape=${shape}${outs.includes(a) ? ', style=bold' : ''}];`);
    for (const x of a._node?.inputs ?? []) {
      lines.push(`  ${id(x)} -> ${id(a)};`);
      stack.push(x);
    }
  }
  lines.push('}');
  return lines.join('\n');
}
