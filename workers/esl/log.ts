// The logger the ESL layer and the ingest take. The process entry passes its own; the default prints warnings
// and errors only, so tests stay quiet.
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

const print =
  (level: string) =>
  (msg: string, meta?: Record<string, unknown>): void => {
    console.error(`${new Date().toISOString()} ${level} ${msg}${meta ? ' ' + JSON.stringify(meta) : ''}`);
  };

export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: print('WARN'),
  error: print('ERROR'),
};
