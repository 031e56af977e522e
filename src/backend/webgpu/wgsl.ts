// Assembles kernel sources: generated hooks + a kernel template from shaders/ + only the
// library functions they reach (smaller shaders compile faster on software drivers).
import { SHADERS } from './shaders.gen.ts';

interface Decl {
  name: string;
  text: string;
  refs: string[];
}

interface Lib {
  directives: string[];
  decls: Decl[];
}

/** Library files whose functions kernels may call (in inclusion order). */
const LIBS = ['layout', 'elementwise', 'random', 'gather', 'concat', 'bits', 'rows', 'tiles'];

export function shader(name: string): string {
  const s = SHADERS[name];
  if (s === undefined) throw new Error(`internal: shaders/${name}.wgsl is not embedded (run scripts/embed-shaders.mjs)`);
  return s;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

/** Splits WGSL into top-level declarations (fn, const, alias, struct, var, override). */
function parse(src: string): Lib {
  const s = stripComments(src);
  const directives: string[] = [];
  const decls: Decl[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const start = i;
    // attributes before the keyword
    while (s[i] === '@') {
      i++;
      while (/[A-Za-z0-9_]/.test(s[i])) i++;
      while (/\s/.test(s[i])) i++;
      if (s[i] === '(') i = skipBalanced(s, i, '(', ')');
      while (/\s/.test(s[i])) i++;
    }
    const kw = /^[A-Za-z_]+/.exec(s.slice(i, i + 16))?.[0] ?? '';
    let end: number;
    if (kw === 'fn' || kw === 'struct') {
      const open = s.indexOf('{', i);
      end = skipBalanced(s, open, '{', '}');
      if (s[end] === ';') end++;
    } else {
      end = i;
      let depth = 0;
      while (end < s.length && !(s[end] === ';' && depth === 0)) {
        if ('({['.includes(s[end])) depth++;
        else if (')}]'.includes(s[end])) depth--;
        end++;
      }
      end++;
    }
    const text = s.slice(start, end).trim();
    i = end;
    if (kw === 'enable' || kw === 'requires' || kw === 'diagnostic') {
      directives.push(text);
      continue;
    }
    const name = /\b(?:fn|struct|const|alias|override|var)\b(?:\s*<[^>]*>)?\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(text)?.[1] ?? '';
    const refs = [...new Set(text.match(IDENT) ?? [])].filter((r) => r !== name);
    decls.push({ name, text, refs });
  }
  return { directives, decls };
}

function skipBalanced(s: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (; i < s.length; i++) {
    if (s[i] === open) depth++;
    else if (s[i] === close && --depth === 0) return i + 1;
  }
  return s.length;
}

const parsed = new Map<string, Lib>();
function lib(name: string): Lib {
  let l = parsed.get(name);
  if (!l) parsed.set(name, (l = parse(shader(name))));
  return l;
}

/** The library declarations `code` needs, transitively, in library order. */
function libraryFor(code: string): { directives: string[]; text: string } {
  const byName = new Map<string, Decl>();
  const libs = LIBS.filter((n) => SHADERS[n] !== undefined).map(lib);
  for (const l of libs) for (const d of l.decls) if (!byName.has(d.name)) byName.set(d.name, d);
  const want = new Set<string>();
  const stack = [...new Set(code.match(IDENT) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    const d = byName.get(n);
    if (!d || want.has(n)) continue;
    want.add(n);
    stack.push(...d.refs);
  }
  const out: string[] = [];
  const directives = new Set<string>();
  for (const l of libs) {
    const used = l.decls.filter((d) => want.has(d.name) && byName.get(d.name) === d);
    if (used.length) l.directives.forEach((x) => directives.add(x));
    for (const d of used) out.push(d.text);
  }
  return { directives: [...directives], text: out.join('\n\n') };
}

// Kernels repeat across steps (same generated hooks, new parameter values), so finished
// modules are remembered by their source; the cap bounds memory for shape-varied graphs.
const assembled = new Map<string, Map<string, string>>();
let assembledCount = 0;
const ASSEMBLED_MAX = 4096;

/** A complete module: generated hook code, then the template, then reached library code. */
export function assemble(generated: string, template: string): string {
  let byGen = assembled.get(template);
  if (!byGen) assembled.set(template, (byGen = new Map()));
  let code = byGen.get(generated);
  if (code === undefined) {
    code = assembleNew(generated, template);
    if (assembledCount >= ASSEMBLED_MAX) {
      for (const m of assembled.values()) m.clear();
      assembledCount = 0;
    }
    byGen.set(generated, code);
    assembledCount++;
  }
  return code;
}

function assembleNew(generated: string, template: string): string {
  // directives (enable ...) must open the module
  const directives: string[] = [];
  const tpl = (template ? shader(template) : '').replace(/^\s*(enable|requires|diagnostic)\b[^;]*;/gm, (d) => {
    directives.push(d.trim());
    return '';
  });
  const gen = generated.replace(/^\s*(enable|requires|diagnostic)\b[^;]*;/gm, (d) => {
    directives.push(d.trim());
    return '';
  });
  const user = `${gen}\n\n${tpl}`;
  const l = libraryFor(user);
  return `${[...new Set([...directives, ...l.directives])].join('\n')}\n${user}\n\n// ---- library\n${l.text}\n`;
}
