/**
 * Landmark knowledge and numbers (TF.js-free, no DOM): analyses as data, measurements, radial
 * errors in mm, pixel spacing and ruler calibration, tracing files. (labels.ts, the overlay's label
 * placement, is imported from its own module.)
 */
export * from './analysis';
export * from './measure';
export * from './errors';
export * from './calibration';
export * from './tracingFile';
