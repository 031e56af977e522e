// Every suite the runners execute (test/node, test/deno, test/browser import `suites`).
import type { Case } from '../harness/suite.ts';
import { harnessSuite } from '../harness/selftest.suite.ts';
import { unarySuite } from './unary.suite.ts';
import { binarySuite } from './binary.suite.ts';
import { reduceSuite } from './reduce.suite.ts';
import { scanSuite } from './scan.suite.ts';
import { shapeSuite } from './shape.suite.ts';
import { indexingSuite } from './indexing.suite.ts';
import { scatterSuite } from './scatter.suite.ts';
import { matmulSuite } from './matmul.suite.ts';
import { creationSuite } from './creation.suite.ts';
import { dtypeSuite } from './dtype.suite.ts';
import { randomSuite } from './random.suite.ts';
import { errorsSuite } from './errors.suite.ts';
import { apiSuite } from './api.suite.ts';
import { memorySuite } from './memory.suite.ts';
import { devicesSuite } from './devices.suite.ts';
import { transformsSuite } from './transforms.suite.ts';
import { optimizersSuite } from './optimizers.suite.ts';
import { ioSuite } from './io.suite.ts';
import { dataSuite } from './data.suite.ts';
import { convSuite } from './conv.suite.ts';
import { nnSuite } from './nn.suite.ts';
import { trainingSuite } from './training.suite.ts';
import { externSuite } from './extern.suite.ts';

export const suites: Case[][] = [harnessSuite, unarySuite, binarySuite, reduceSuite, scanSuite, shapeSuite, indexingSuite, scatterSuite, matmulSuite, creationSuite, dtypeSuite, randomSuite, errorsSuite, apiSuite, memorySuite, devicesSuite, transformsSuite, optimizersSuite, ioSuite, dataSuite, convSuite, nnSuite, trainingSuite, externSuite];
