/** Experiments (issue 15): sweeps, nested subsets, run comparison, the sample-size study. TF.js-free. */
export * from './sweep';
export * from './subsets';
export * from './compare';
export * from './study';
