// Registers the selected cases as vitest tests, one describe() per suite.
/// <reference types="node" />
import { describe, it } from 'vitest';
import { suites } from '../suites/index.ts';
import { CASE_TIMEOUT_ENV, FILTER_ENV, TRACE_ENV, runCase } from '../harness/runner.ts';
import { selectCases, type Case, type DeviceName } from '../harness/suite.ts';
import type { GpuErrorGuard } from '../harness/webgpu.ts';

export function registerCases(device: DeviceName, guard?: () => GpuErrorGuard): void {
  const filter = process.env[FILTER_ENV] ?? '';
  // Straight to stderr: vitest buffers console output, which a native crash would lose.
  const trace = process.env[TRACE_ENV] ? (l: string) => void process.stderr.write(l + '\n') : undefined;
  const timeoutMs = Number(process.env[CASE_TIMEOUT_ENV]) || undefined;
  const cases = selectCases(suites, device, filter);
  if (cases.length === 0) {
    // No cases at all means the suite list is broken; none after filtering is fine.
    if (filter) it.skip(`no case matches ${FILTER_ENV}=${filter}`, () => {});
    else it(`suites list ${device} cases`, () => {
      throw new Error(`test/suites/index.ts yields no ${device} cases`);
    });
    return;
  }
  const bySuite = new Map<string, Case[]>();
  for (const c of cases) bySuite.set(c.suite, [...(bySuite.get(c.suite) ?? []), c]);
  for (const [name, list] of bySuite) {
    describe(name, () => {
      for (const c of list) it(c.name, () => runCase(c, { device, runtime: 'node' }, { guard: guard?.(), trace, timeoutMs }));
    });
  }
}
