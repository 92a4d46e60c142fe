/**
 * The server-identical pix2pix networks: U-Net generator, PatchGAN discriminator, their layer
 * maths and their PyTorch state_dict mapping. See unet.ts, patchgan.ts, layers.ts, weights.ts.
 */
export type {
  Discriminator,
  DiscriminatorOutput,
  ForwardMode,
  Generator,
  Net,
  StateDict,
  TensorEntry,
} from './types';
export { createGenerator, unetDepth, unetDropoutKeys, unetSpecs, DROPOUT_RATE, MIN_UNET_DEPTH } from './unet';
export { createDiscriminator, patchGanSpecs, patchLogitSize, scalePrefix, MAX_NUM_D } from './patchgan';
export {
  countBuffers,
  countParameters,
  expectedEntries,
  inferConfigFromStateDict,
  loadStateDict,
  stateDictOf,
  StateDictError,
  type EntryInfo,
} from './weights';
export {
  batchNorm,
  conv2d,
  conv2dFilterGrad,
  convTranspose2d,
  convTranspose2dFilterGrad,
  downsample,
  dropout,
  getConvGradMode,
  hasNativeFilterGrad,
  instanceNorm,
  leakyRelu,
  relu,
  setConvGradMode,
  setXnnPathMinPositions,
  stride1ConvInputGrad,
  subPixelConvT,
  BN_MOMENTUM,
  LEAKY_SLOPE,
  NORM_EPS,
  XNN_PATH_MIN_POSITIONS,
  type ConvGradMode,
  type ParamSpec,
} from './layers';
