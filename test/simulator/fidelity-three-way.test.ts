// Fidelity: replay steps 20-0 to 20f (a FreeSWITCH with mod_conference): the three-way made from the consultation,
// with a conference (20a-20c) and with the three_way application (20d-20f). The simulator's default globals are this
// switch's (hold_music=local_stream://moh).

import { fidelityTests } from './fidelity.ts';

fidelityTests([
  '20-0-connect',
  '20a-three-way-conference',
  '20b-three-way-transferor-leaves',
  '20b2-three-way-transferor-leaves-park-first',
  '20c-three-way-target-dropped',
  '20d-three-way-app',
  '20e-three-way-app-transferor-leaves',
  '20e2-three-way-app-then-park',
  '20f-three-way-app-on-target',
]);
