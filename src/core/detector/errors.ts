/**
 * Radial errors and their summary (MRE, SD, SDR at 2 / 2.5 / 3 / 4 mm, per landmark) for the
 * detector: the studio's one definition in src/core/landmarks/errors.ts (CONTRACTS.md A).
 */
export { radialErrorsMm, summarizeErrors, type ErrorSummary } from '../landmarks/errors';
