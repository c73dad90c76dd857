// condition() with an optional deadline. Passing `undefined` as condition's timeout is not the same as omitting it.
import { condition } from '@temporalio/workflow';

/**
 * Waits until `fn()` holds or the workflow clock reaches `deadline` (ms); true if `fn()` held. `summary` names the
 * deadline's timer in the Temporal UI's timeline.
 */
export function waitUntil(fn: () => boolean, deadline: number | undefined, summary?: string): Promise<boolean> {
  if (deadline === undefined) return condition(fn).then(() => true);
  const ms = Math.max(deadline - Date.now(), 1);
  return summary ? condition(fn, ms, { summary }) : condition(fn, ms);
}
