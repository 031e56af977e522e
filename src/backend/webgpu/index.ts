// placeholder until the WebGPU backend lands
export {};
