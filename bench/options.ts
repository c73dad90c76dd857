// Command-line options the benchmarks share, and how a benchmark script runs.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** An integer option within [min, max], or an error that names the option and the range. */
export function intOption(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}..${max}`);
  return n;
}

/**
 * Runs `main` when the module at `moduleUrl` is the process's entry script (not when a test imports it): the process
 * exits 0 once it resolves, 1 with the error printed when it rejects.
 */
export function runAsScript(moduleUrl: string, main: () => Promise<unknown>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(path.resolve(process.argv[1])).href) return;
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
