// Where DTMF went, from ESL events alone (so it holds against the simulator and a real FreeSWITCH). Every party of an
// e2e test is a loopback pair: the leg Handoff sees (the -a leg, named in the test) and its phone, the -b partner.
// A digit pressed on a party shows as DTMF on its leg (what Handoff, and anyone on the event socket, sees); a digit
// that crosses the bridge reaches the peer's phone, so it shows as DTMF on the peer's -b partner (captures 02, 22a).
// The captures show that a digit kept from the peer (uuid_drop_dtmf, bridge_filter_dtmf, a binding) leaves no trace
// on the peer's phone, and sensitive_dtmf leaves none on the leg either (22b-22f).

import type { EslEvent } from './esl-client.ts';

/** The phone of a leg: its loopback partner, read off the variable both halves of a pair carry. */
export function phoneOf(events: readonly EslEvent[], leg: string): string | undefined {
  for (const e of events) {
    const h = e.headers;
    if (h['Unique-ID'] === leg && h['variable_other_loopback_leg_uuid']) return h['variable_other_loopback_leg_uuid'];
    if (h['variable_other_loopback_leg_uuid'] === leg && h['Unique-ID']) return h['Unique-ID'];
  }
  return undefined;
}

/** The digits that showed as DTMF events on a channel, in order. */
export function digitsOn(events: readonly EslEvent[], uuid: string): string {
  return events
    .filter((e) => e.name === 'DTMF' && e.headers['Unique-ID'] === uuid)
    .map((e) => e.headers['DTMF-Digit'] ?? '')
    .join('');
}

/** The digits that reached a party's ear: DTMF on its phone (the loopback partner of its leg). */
export function digitsHeardBy(events: readonly EslEvent[], leg: string): string {
  const phone = phoneOf(events, leg);
  return phone ? digitsOn(events, phone) : '';
}
