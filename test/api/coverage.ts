// The API conformance table: every name in MLX's Python API (test/api/mlx-api.json, read
// from MLX's docs) against what webmlx actually exports, so the table cannot drift.
import MLX from './mlx-api.json' with { type: 'json' };
import { NOTES } from './notes.ts';

export type Status = 'implemented' | 'renamed' | 'explained' | 'missing';
export interface Row {
  module: string;
  mlx: string;
  webmlx: string;
  status: Status;
  why?: string;
}

/** MLX's snake_case → webmlx's camelCase (`atleast_1d` → `atleast1d`, `array.T` → `T`). */
export function camel(name: string): string {
  const last = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  return last.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Where each MLX module's names are looked up (objects or prototypes). */
export type Targets = Record<string, object>;

const has = (o: object, k: string): boolean => {
  try {
    return k in o && (o as Record<string, unknown>)[k] !== undefined;
  } catch {
    return true; // a getter that needs an instance still exists
  }
};

export function coverage(targets: Targets): Row[] {
  const rows: Row[] = [];
  for (const [mod, names] of Object.entries(MLX.modules as Record<string, string[]>)) {
    const t = targets[mod];
    if (!t) throw new Error(`no webmlx target for ${mod}`);
    const base = mod.startsWith('mlx.nn.Module') || mod.startsWith('mlx.optimizers.Optimizer') ? mod : mod;
    for (const mlx of names) {
      const note = NOTES[`${base}.${mlx}`];
      const name = note?.as ?? camel(mlx);
      if (has(t, name)) rows.push({ module: mod, mlx, webmlx: name, status: note?.as ? 'renamed' : 'implemented', why: note?.why });
      else if (note?.why) rows.push({ module: mod, mlx, webmlx: '', status: 'explained', why: note.why });
      else rows.push({ module: mod, mlx, webmlx: '', status: 'missing' });
    }
  }
  return rows;
}

/** The README block: counts, then one table per module. */
export function markdown(rows: Row[]): string {
  const count = (s: Status) => rows.filter((r) => r.status === s).length;
  const out = [
    `Generated from the code by \`test/node/api.test.ts\` against MLX's documented Python API (${rows.length} names, MLX commit ${MLX.commit.slice(0, 10)}): ` +
      `${count('implemented')} implemented, ${count('renamed')} under another name, ${count('explained')} not provided (each with its reason), ${count('missing')} missing.`,
    '',
  ];
  for (const mod of [...new Set(rows.map((r) => r.module))]) {
    const rs = rows.filter((r) => r.module === mod);
    const done = rs.filter((r) => r.status === 'implemented' || r.status === 'renamed').length;
    out.push(`<details><summary><code>${mod}</code>: ${done} of ${rs.length}</summary>`, '', '| MLX | webmlx | status |', '|---|---|---|');
    for (const r of rs) out.push(`| \`${r.mlx}\` | ${r.webmlx ? `\`${r.webmlx}\`` : ''} | ${r.status}${r.why ? `: ${r.why}` : ''} |`);
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
