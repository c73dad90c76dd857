// Kazoo's request and response envelopes as zod schemas (requests are `{"data": {...}}`).
import { z } from 'zod';

/** A request body: Kazoo wraps the payload in `data`. */
export function requestEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ data });
}

/** What every success envelope carries besides `data` (and `handoff`, typed per route). */
const envelopeKeys = {
  status: z.literal('success'),
  request_id: z.string(),
  auth_token: z.string().meta({ description: 'The token the request used (or was issued); "" when none' }),
  revision: z
    .string()
    .optional()
    .meta({ description: 'Documents and listings: a digest of `data` (also sent as ETag), as Kazoo sends it' }),
  timestamp: z.string().meta({ example: '2024-03-12T21:24:34Z' }),
  version: z.string(),
  node: z.string(),
  page_size: z.number().int().optional().meta({ description: 'Paginated listings: the items in this page' }),
  start_key: z.string().optional().meta({ description: 'Paginated listings: the start_key asked for' }),
  next_start_key: z
    .string()
    .optional()
    .meta({ description: 'Paginated listings: pass as start_key for the next page; absent on the last page' }),
};

type EnvelopeKeys = typeof envelopeKeys;

/** The success envelope around `data`; `handoff` is the route's own extras in the envelope, when it has any. */
export function successEnvelope<D extends z.ZodType>(data: D): z.ZodObject<EnvelopeKeys & { data: D }>;
export function successEnvelope<D extends z.ZodType, H extends z.ZodType>(
  data: D,
  handoff: H,
): z.ZodObject<EnvelopeKeys & { data: D; handoff: z.ZodOptional<H> }>;
export function successEnvelope(data: z.ZodType, handoff?: z.ZodType) {
  return z.object(handoff ? { ...envelopeKeys, data, handoff: handoff.optional() } : { ...envelopeKeys, data });
}

export const errorEnvelope = z
  .object({
    status: z.literal('error'),
    error: z.string().meta({ description: 'The HTTP status, as a string', example: '400' }),
    message: z.string().meta({
      description:
        'validation error | invalid_credentials | forbidden | bad identifier | not_found | invalid_method | conflict | request entity too large | range not satisfiable | too_many_requests | invalid data | service unavailable | datastore timeout | engine error | internal error',
    }),
    data: z.unknown().meta({
      description:
        'For 400 validation errors: {field: {code: {message}}}; for 404 bad identifier: [id]; otherwise {message}',
    }),
    request_id: z.string(),
    auth_token: z.string(),
    timestamp: z.string(),
    version: z.string(),
    node: z.string(),
  })
  .meta({ id: 'ErrorEnvelope', description: "Kazoo's error envelope" });
