// The arguments the suite runner (scripts/test.ts) gives ava. Against a real FreeSWITCH (HANDOFF_TEST_FREESWITCH) the
// test files share one switch: every file's ingest would see every other file's channels, and their workflow IDs (the
// channels' UUIDs) would meet on one Temporal. So in that mode the suite runs one file at a time and one test at a
// time; on the simulator every file has a switch of its own and runs in parallel as usual.

/** ava's flags for one file at a time (--concurrency 1) and one test at a time within it (--serial). */
export const SERIAL_FLAGS = ['--serial', '--concurrency', '1'] as const;

export function avaArguments(args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (!env.HANDOFF_TEST_FREESWITCH) return [...args];
  // The caller's own --concurrency/-c would undo the point of the mode: ours come last and win.
  return [...args, ...SERIAL_FLAGS];
}
