// Fidelity: replay steps 22a-22f: the digits a transferor presses, and the five ways of keeping them from the peer
// (uuid_drop_dtmf, bridge_filter_dtmf, bind_meta_app, bind_digit_action, sensitive_dtmf).

import { fidelityTests } from './fidelity.ts';

fidelityTests([
  '22a-dtmf-private-baseline',
  '22b-dtmf-private-drop-dtmf',
  '22c-dtmf-private-bridge-filter',
  '22d-dtmf-private-meta-app',
  '22e-dtmf-private-digit-action',
  '22f-dtmf-private-sensitive',
]);
