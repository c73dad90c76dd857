// A workflow that computes without yielding for as many rounds as it is told: what deadlock detection guards against.
// Bundled on its own by test/workers/deadlock-detection.test.ts, which times `spin` in its own process to pick rounds
// that run well past the timeout it sets.

/**
 * A linear congruential generator's rounds: work no compiler can skip. No global in the loop: each read of one (`Math`)
 * in the workflow sandbox goes through Node's context interceptor, ~100× the time of the same loop outside, so the
 * sandbox runs this at least as long as the test's process does, never much longer.
 */
export function spin(rounds: number): number {
  let x = 1;
  for (let i = 0; i < rounds; i++) x = (x * 33 + 12345) % 4294967296;
  return x;
}

export async function spinWorkflow(rounds: number): Promise<number> {
  return spin(rounds);
}
