// Every case that runs on the CPU device, under Node (runCase selects mx.cpu per case).
import { registerCases } from './cases.ts';

registerCases('cpu');
