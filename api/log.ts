// The API's log: one JSON line per event (pino), each with the request's ID, which is also the envelope's
// `request_id`: a client quoting it finds the details an error answer leaves out. Secrets never reach a line: tokens
// and API keys are not logged, query strings are logged with secret parameters blanked, and known secret fields are
// censored should an object carrying one ever be logged.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type ApiLogger = Logger;

const CENSOR = '[redacted]';

/** Query parameters that carry secrets. Kazoo reads a token from `auth_token`; Handoff does not, but clients send it. */
const SECRET_PARAMS = new Set(['auth_token', 'api_key', 'token', 'password', 'credentials', 'x-auth-token']);

/** Fields blanked wherever they appear in a logged object, one level down included (pino's redact paths). */
const SECRET_FIELDS = ['auth_token', 'api_key', 'token', 'password', 'credentials', 'authorization'];
const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'headers["x-auth-token"]',
  '*.headers["x-auth-token"]',
];

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** The request's path and query string, with the values of secret parameters blanked: what a log line may show. */
export function redactUrl(url: string): string {
  let rest = url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  if (scheme) rest = url.slice(scheme[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const query = rest
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodeName(name)) ? `${name}=${CENSOR}` : pair;
    })
    .join('&');
  return `${rest.slice(0, q)}?${query}`;
}

export interface ApiLoggerOptions {
  /** Where the lines go (default: stdout). */
  destination?: DestinationStream;
  level?: pino.LevelWithSilent;
}

export function createApiLogger(options: ApiLoggerOptions = {}): ApiLogger {
  return pino(
    {
      name: 'handoff-api',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
