// The OpenAPI 3.1 document is generated from the route definitions themselves (@hono/zod-openapi): each route is
// declared once with its parameters, body and answers as zod schemas, and that one declaration validates the request,
// types the handler's answer and writes the document. What is here is shared by the declarations: the error answers,
// Kazoo's JSON body, and the document's header.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import type { ApiEnv } from './context.ts';
import { errorEnvelope } from './schemas/envelope.ts';
import { validationHook } from './validation.ts';

/** What each error status means, on every route that may answer it. */
const ERROR_TEXT: Record<number, string> = {
  400: 'validation error (data: {field: {code: {message}}}; a body that is not JSON: json.invalid), or invalid data',
  401: 'invalid_credentials: missing, forged, expired or revoked token',
  403: "forbidden: the account is not the token's or a descendant",
  404: 'bad identifier (data: [id]) or not_found',
  409: 'conflict',
  413: 'request entity too large',
  416: 'range not satisfiable: paginate=false asked for more than one answer may carry',
  429: 'too_many_requests: too many failed logins (api_auth, Basic credentials) from this client; see Retry-After',
  500: 'internal error, or engine error: the call engine failed (details in the log under request_id)',
  503: 'service unavailable (the call engine cannot be reached) or datastore timeout; see Retry-After when sent',
};

/** Every route may fail inside (500) or lose its store or engine for a moment (503). */
const ANY = [500, 503];
/**
 * A route under /v2/accounts/{accountId}: the caller's credentials must reach the account (and Basic credentials are
 * a login, throttled).
 */
export const ACCOUNT_ERRORS = [401, 403, 404, 429, ...ANY];
/** A route that reads a body. */
export const BODY_ERRORS = [400, 413];
/** A route open to anyone. */
export const OPEN_ERRORS = ANY;

/**
 * The error answers a route documents, all in Kazoo's error envelope. Errors are thrown (ApiError) and answered by the
 * app's error handler, never returned by a handler, so their type adds no answer a handler could return.
 */
export function errors(...codes: number[]): Record<never, never> {
  const out: Record<number, unknown> = {};
  for (const code of [...new Set(codes)].sort()) {
    out[code] = {
      description: ERROR_TEXT[code] ?? 'error',
      content: { 'application/json': { schema: errorEnvelope } },
    };
  }
  return out;
}

/** A success answer: the envelope schema of `successEnvelope(...)`. */
export function answer<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

/** Kazoo's `{"data": ...}` body (read as JSON whatever the Content-Type says: see jsonBodyGuard in http.ts). */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

/** A sub-app whose requests are checked by the routes' schemas, a refusal answered in Kazoo's shape. */
export function routes(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

type DocumentHeader = Parameters<OpenAPIHono['getOpenAPI31Document']>[0];

/** The document's own fields; the paths and schemas come from the routes. */
export function documentHeader(version: string): DocumentHeader {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Handoff API',
      version,
      description:
        "Durable in-call attended transfer for FreeSWITCH/Kazoo. Kazoo Crossbar compatible: same paths, envelope, status codes and data values where Kazoo defines them. Handoff's extras live under a key named `handoff`: inside `data` when data is an object, in the envelope when data is a Kazoo string. Every path also answers OPTIONS (no token needed) and a 405 invalid_method with Allow for a method it does not take.",
    },
    servers: [{ url: '/' }],
    security: [{ authToken: [] }, { authTokenQuery: [] }, { bearer: [] }, { basic: [] }],
    tags: [
      { name: 'auth' },
      { name: 'accounts' },
      { name: 'channels' },
      { name: 'metaflows' },
      { name: 'media' },
      { name: 'docs' },
    ],
  };
}

/** The ways a caller presents its credentials (api/auth.ts reads them in this order, as Kazoo does). */
export function registerSecuritySchemes(app: OpenAPIHono<ApiEnv>): void {
  const r = app.openAPIRegistry;
  r.registerComponent('securitySchemes', 'authToken', { type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
  r.registerComponent('securitySchemes', 'authTokenQuery', { type: 'apiKey', in: 'query', name: 'auth_token' });
  r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  r.registerComponent('securitySchemes', 'basic', {
    type: 'http',
    scheme: 'basic',
    description: "Kazoo's basic authentication: base64(account ID:API key)",
  });
}
