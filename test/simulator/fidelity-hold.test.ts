// Fidelity: replay steps 21a-21e: uuid_hold with the global, a channel or no hold music, its error replies, and a
// hold sent right after the bridge.

import { fidelityTests } from './fidelity.ts';

fidelityTests([
  '21a-hold-global-hold-music',
  '21b-hold-hold-music-var',
  '21c-hold-no-hold-music',
  '21d-hold-errors',
  '21e-hold-right-after-bridge',
]);
