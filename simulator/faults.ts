// Faults on demand (simulator-only, through `api sim_fault ...`), for reliability tests.

export class Faults {
  /** Every reply (command/reply and api/response) is held back this long. */
  replyDelayMs = 0;
  /** `auth` fails as if the password were wrong. */
  refuseAuth = false;
}
