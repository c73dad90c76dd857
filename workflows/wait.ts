// condition() with an optional deadline. Passing `undefined` as condition's timeout is not the same as omitting it.
import { condition } from '@temporalio/workflow';

/** Waits until `fn()` holds or the workflow clock reaches `deadline` (ms); true if `fn()` held. */
export function waitUntil(fn: () => boolean, deadline: number | undefined): Promise<boolean> {
  if (deadline === undefined) return condition(fn).then(() => true);
  return condition(fn, Math.max(deadline - Date.now(), 1));
}
