// The mx the runners drive (device selection, gpu.use). Swap the line below for
//   export * from '../../src/index.ts';
// once src/index.ts exports setDefaultDevice, cpu and gpu.use.
export * from './mx_stub.ts';
