// A workflow that computes without yielding for as many rounds as it is told: what deadlock detection guards against.
// Bundled on its own by test/workers/deadlock-detection.test.ts, which picks rounds that run past each timeout it
// tests: from `spin` timed in its own process for the short timeout, from a first run's task time in the sandbox (the
// server's clock) for the SDK's 5 s, since the sandbox was seen to run the loop up to twice as fast as the test does.

/**
 * A linear congruential generator's rounds: work no compiler can skip. No global in the loop: each read of one (`Math`)
 * in the workflow sandbox goes through Node's context interceptor, ~100× the time of the same loop outside.
 */
export function spin(rounds: number): number {
  let x = 1;
  for (let i = 0; i < rounds; i++) x = (x * 33 + 12345) % 4294967296;
  return x;
}

export async function spinWorkflow(rounds: number): Promise<number> {
  return spin(rounds);
}
