// Runtime-neutral test declarations: suites are plain data, so each runner
// (vitest, Deno.test, the Chromium page) can schedule them its own way.

export type DeviceName = 'cpu' | 'gpu';
export type RuntimeName = 'node' | 'deno' | 'chromium';

export interface TestCtx {
  device: DeviceName;
  runtime: RuntimeName;
}

export interface Case {
  suite: string;
  name: string;
  fn: (ctx: TestCtx) => Promise<void> | void;
  devices?: DeviceName[];
}

export type TestFn = (name: string, fn: Case['fn'], opts?: { devices?: DeviceName[] }) => void;

export function suite(name: string, body: (test: TestFn) => void): Case[] {
  const cases: Case[] = [];
  const seen = new Set<string>();
  body((caseName, fn, opts) => {
    // Duplicate names would make results ambiguous in every runner.
    if (seen.has(caseName)) throw new Error(`duplicate test name '${name}/${caseName}'`);
    seen.add(caseName);
    cases.push({ suite: name, name: caseName, fn, devices: opts?.devices });
  });
  return cases;
}

/** `suite/name`, the id that WEBMLX_TEST_FILTER matches against. */
export function caseId(c: Case): string {
  return `${c.suite}/${c.name}`;
}

/** Cases that run on `device`, narrowed by a substring filter (empty = all). */
export function selectCases(suites: Case[][], device: DeviceName, filter = ''): Case[] {
  return suites
    .flat()
    .filter((c) => (c.devices ?? ['cpu', 'gpu']).includes(device))
    .filter((c) => !filter || caseId(c).includes(filter));
}

/** Rejects after `ms` so a hung case (e.g. a mapAsync that never resolves) fails. */
export async function withTimeout<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
