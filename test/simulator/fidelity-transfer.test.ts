// Fidelity: replay every captured transfer outcome (steps 10-18) and compare with the real FreeSWITCH.

import { SWITCH_00_18 } from './captures.ts';
import { fidelityTests } from './fidelity.ts';

fidelityTests(
  [
    '10-attended-completed',
    '11-partial',
    '12-takeback-ringing',
    '13-takeback-consult',
    '14-target-hangs-up-consult',
    '15-busy-and-no-answer',
    '16-transferee-hangs-up-ringing',
    '17-transferee-hangs-up-consult',
    '18-loopback-far-end-hangup',
  ],
  SWITCH_00_18,
);
