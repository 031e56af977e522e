// Placeholder list of suites (the suites owner replaces this file; keep harnessSuite in it).
import type { Case } from '../harness/suite.ts';
import { harnessSuite } from '../harness/selftest.suite.ts';

export const suites: Case[][] = [harnessSuite];
