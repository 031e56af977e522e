// webmlx/data: MLX-data-style pipelines. `import * as dx from 'webmlx/data'`.
export { Buffer } from './buffer.ts';
export { Stream, type PrefetchOptions, type DynamicBatchOptions } from './stream.ts';
export { Ops, type SampleFn, type LoadOptions } from './ops.ts';
export {
  fromArrays, fromVector, fromIterable, fromTextLines, fromCsv, fromFiles, fromUrls,
  type TextSource, type TextLinesOptions, type CsvOptions,
} from './sources.ts';
export { type Sample, type BatchOptions, collate, padToSize, padToMultiple } from './sample.ts';
export { seed, makeRng, type Rng } from './rng.ts';
export {
  loadImage, decodeImage, convertChannels, imageResize, imageResizeSmallestSide, imageCenterCrop, imageRandomCrop,
  imageRandomHFlip, imageRotate, type LoadImageOptions, type DecodedImage,
} from './image.ts';
export { decodePng } from './png.ts';
export { decodeJpeg } from './jpeg.ts';
export { loadAudio, decodeWav, mfsc, type DecodedAudio, type LoadAudioOptions, type MfscOptions } from './audio.ts';
export { loadVideo, decodeVideo, type LoadVideoOptions } from './video.ts';
