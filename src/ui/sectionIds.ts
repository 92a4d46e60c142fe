/** The studio's sections, in navigation order, and their URL hash (#/train). */

export const SECTIONS = [
  'data',
  'train',
  'evaluate',
  // issue 15: sweeps, sample-size studies and the run comparison
  'experiments',
  'landmarks',
  'checkpoints',
  'environment',
] as const;
export type SectionId = (typeof SECTIONS)[number];

export function sectionFromHash(hash: string): SectionId {
  const id = hash.replace(/^#\/?/, '');
  return (SECTIONS as readonly string[]).includes(id) ? (id as SectionId) : 'data';
}
