// Waiting for something another process does (a workflow's history, a projection row, a listener's port): ask again
// every few ms until the answer comes, and fail with what was awaited, and what was last seen, when it does not.

export interface PollOptions {
  /** How long to keep asking (default 15 s). */
  timeoutMs?: number;
  /** The pause between two questions (default 100 ms). */
  everyMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks `probe` until it returns something other than undefined, and returns that. A probe that throws counts as not
 * yet (the thing asked may not exist yet); its last error is in the timeout's message. `what` may be a function, read
 * at the timeout, to say what was last seen.
 */
export async function eventually<T>(
  what: string | (() => string),
  probe: () => T | undefined | Promise<T | undefined>,
  opts: PollOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= until) {
      const text = typeof what === 'function' ? what() : what;
      const cause = lastError === undefined ? '' : `: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}${cause}`);
    }
    await sleep(opts.everyMs ?? 100);
  }
}
