// CORS as Kazoo's api_util answers it: a browser app on another origin (monster-ui, an in-house UI) may call the API.
// Kazoo adds its CORS headers only to CORS requests (an Origin or Access-Control-Request-* header), answers every
// OPTIONS without a token, and allows any origin; Handoff does the same, with the allowed origins a setting
// (API_CORS_ORIGINS). The methods it allows are the route's own, read from the routes themselves.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ApiEnv } from './context.ts';

/** Kazoo's allowed request headers, and what Handoff reads besides (Bearer tokens, request IDs, idempotency keys). */
export const CORS_ALLOW_HEADERS = [
  'content-type',
  'depth',
  'user-agent',
  'x-http-method-override',
  'x-file-size',
  'x-requested-with',
  'if-modified-since',
  'x-file-name',
  'cache-control',
  'x-auth-token',
  'x-kazoo-cluster-id',
  'if-match',
  'authorization',
  'x-request-id',
  'idempotency-key',
];

/** Kazoo's exposed response headers, and Handoff's own (Retry-After, Allow, Idempotency-Key). */
export const CORS_EXPOSE_HEADERS = [
  'content-type',
  'x-auth-token',
  'x-request-id',
  'x-kazoo-cluster-id',
  'location',
  'etag',
  'retry-after',
  'allow',
  'idempotency-key',
];

/** How long a browser may reuse a preflight's answer: a day, as Kazoo. */
const MAX_AGE_S = 86_400;

/** Kazoo's test: a request is a CORS request when it carries any of these. */
function isCorsRequest(header: (name: string) => string | undefined): boolean {
  return (
    header('Origin') !== undefined ||
    header('Access-Control-Request-Method') !== undefined ||
    header('Access-Control-Request-Headers') !== undefined
  );
}

/**
 * `origins`: `*` or the allowed origins. `methodsOf(path)`: the methods the path's route answers (undefined for an
 * unknown path), to which OPTIONS is added; a preflight for an unknown path is answered with the method it asks for,
 * and the request itself then gets its 404 (with these headers, so the browser shows it).
 */
export function corsPolicy(
  origins: '*' | string[],
  methodsOf: (path: string) => readonly string[] | undefined,
): MiddlewareHandler<ApiEnv> {
  const policy = cors({
    origin: origins,
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: MAX_AGE_S,
    allowMethods: (_origin, c) => {
      const known = methodsOf(c.req.path);
      const asked = c.req.header('Access-Control-Request-Method')?.toUpperCase();
      const methods = ['OPTIONS', ...(known ?? (asked ? [asked] : []))];
      return [...new Set(methods)];
    },
  });
  return async (c, next) => {
    if (!isCorsRequest((name) => c.req.header(name))) return next();
    return policy(c, next);
  };
}
