// Liveness, not speed: a node worker's activities report that their process is alive every half second while they
// run, so a worker that dies holding one is noticed within the activity's heartbeat timeout (2 s,
// workflows/switch-activities.ts) and the command goes to the node's other worker, however slowly a loaded switch
// answers a healthy one. An activity done within half a second (nearly all of them) sends no heartbeat at all.
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 500;

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** The same activities, each reporting liveness while it runs. */
export function heartbeating<T extends Record<string, AnyActivity>>(activities: T): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const context = Context.current();
      const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}
