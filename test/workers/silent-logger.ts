import type { Logger } from '../../workers/esl/index.ts';

/** Set HANDOFF_TEST_LOG=1 to see what the workers log during a test. */
const print = (level: string) => (msg: string, meta?: Record<string, unknown>) =>
  process.env.HANDOFF_TEST_LOG ? console.error(level, msg, meta ?? '') : undefined;

export const testLogger: Logger = {
  debug: print('debug'),
  info: print('info'),
  warn: print('warn'),
  error: print('error'),
};
