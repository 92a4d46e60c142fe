/** Which section of the one-page studio is shown; mirrored to the URL hash (#/train) for links and reloads. */

import { sectionFromHash, type SectionId } from './sectionIds';

export { SECTIONS, sectionFromHash, type SectionId } from './sectionIds';

class AppState {
  section = $state<SectionId>(sectionFromHash(globalThis.location?.hash ?? ''));

  go(id: SectionId): void {
    this.section = id;
    if (typeof history !== 'undefined' && sectionFromHash(location.hash) !== id) {
      history.replaceState(null, '', `#/${id}`);
    }
  }

  /** Follow the URL when the user edits it or uses a link. */
  listen(): () => void {
    const onHash = (): void => {
      this.section = sectionFromHash(location.hash);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }
}

export const app = new AppState();
