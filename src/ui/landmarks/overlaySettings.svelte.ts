/** What an overlay view shows: landmarks on/off, names always / on hover / off, the real ↔ predicted blend. */
export type LabelMode = 'always' | 'hover' | 'off';

export class OverlaySettings {
  show = $state(true);
  labels = $state<LabelMode>('hover');
  /** 0 = the real X-ray, 1 = the prediction (for the blended tile). */
  blend = $state(0.5);

  constructor(init: { show?: boolean; labels?: LabelMode; blend?: number } = {}) {
    if (init.show !== undefined) this.show = init.show;
    if (init.labels) this.labels = init.labels;
    if (init.blend !== undefined) this.blend = init.blend;
  }
}
