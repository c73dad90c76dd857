// Command-line options the benchmarks share.

/** An integer option within [min, max], or an error that names the option and the range. */
export function intOption(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}..${max}`);
  return n;
}
