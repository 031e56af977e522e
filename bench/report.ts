// The markdown report of a peer benchmark run (bench/suite.ts).
import { type SuiteResult } from './suite.ts';



export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(Math.max(0, digits - 1));
  return v.toPrecision(digits);
}

/** Markdown: libraries, a ms summary with webmlx/peer ratios, and the detailed rows. */
export function markdownReport(r: SuiteResult): string {
  const out: string[] = [];
  out.push(`Runtime: ${r.runtime}; adapter: ${r.adapter}; sizes: ${r.big ? 'big (GPU machine)' : 'small (software drivers)'}`);
  out.push(`Copy bandwidth (raw WGSL vec4 copy, ${r.copyBytes / 2 ** 20} MB): ${r.copyGBs === null ? 'failed' : `${fmt(r.copyGBs)} GB/s`}`);
  out.push('');
  out.push('| library | adapter | note |');
  out.push('| --- | --- | --- |');
  for (const l of r.libs) out.push(`| ${l.lib} | ${l.error ? `not run: ${l.error}` : l.adapter} | ${l.note ?? ''} |`);
  out.push('');
  const libs = r.libs.filter((l) => !l.error).map((l) => l.lib);
  const benches = [...new Set(r.rows.map((x) => x.bench))];
  const get = (lib: string, bench: string) => r.rows.find((x) => x.lib === lib && x.bench === bench);
  const peers = libs.filter((l) => l !== 'webmlx');
  out.push('Median ms per bench (lower is better); "webmlx/X" = webmlx ms / X ms (above 1: webmlx is slower);');
  out.push('"webmlx of copy" = webmlx GB/s / the copy bandwidth above (memory-bound benches).');
  out.push('');
  out.push(`| bench | ${libs.map((l) => `${l} ms`).join(' | ')} | ${peers.map((p) => `webmlx/${p}`).join(' | ')} | webmlx of copy |`);
  out.push(`| --- | ${libs.map(() => '---:').join(' | ')} | ${peers.map(() => '---:').join(' | ')} | ---: |`);
  for (const b of benches) {
    const w = get('webmlx', b);
    const cells = libs.map((l) => {
      const x = get(l, b);
      return x?.error ? 'err' : `${fmt(x?.ms)}${x?.check && x.check !== 'ok' ? ' (BAD)' : ''}`;
    });
    const ratios = peers.map((p) => {
      const x = get(p, b);
      return w?.ms && x?.ms ? fmt(w.ms / x.ms) : '-';
    });
    out.push(`| ${b} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${w?.ofCopy == null ? '-' : fmt(w.ofCopy, 2)} |`);
  }
  out.push('');
  out.push('| bench | library | ms (median) | value | unit | of copy BW | check | checksum | error |');
  out.push('| --- | --- | ---: | ---: | --- | ---: | --- | ---: | --- |');
  for (const x of r.rows) {
    out.push(`| ${x.bench} | ${x.lib} | ${fmt(x.ms)} | ${fmt(x.value)} | ${x.unit} | ${x.ofCopy == null ? '-' : fmt(x.ofCopy, 2)} | ${x.check ?? '-'} | ${x.checksum === undefined ? '-' : x.checksum.toPrecision(7)} | ${x.error ?? ''} |`);
  }
  return out.join('\n');
}
