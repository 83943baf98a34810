/** The app bundle's entry: picks up the loader's handoff from window.Closeloop and starts. */
import type { Handoff } from '../shared/handoff.js';
import { startApp } from './start.js';

const handoff = (window as unknown as { Closeloop?: { _l?: Handoff } }).Closeloop?._l;
if (handoff) {
  try {
    handoff.ready(startApp({ ...handoff, emit: handoff.emit, warn: handoff.warn }));
  } catch (error) {
    handoff.warn(`the widget could not start: ${(error as Error).message}`);
  }
}
