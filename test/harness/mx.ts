// The mx the runners drive (device selection, gpu.use): the library itself.
// Runners import it from here so a stand-in can be swapped in during bring-up.
export * from '../../src/index.ts';
