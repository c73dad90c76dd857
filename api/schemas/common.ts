// Field rules shared by the endpoints. Anything that can end up in a switch command is checked here, at the edge,
// against the whitelist grammars of contracts/grammar.ts, so that a refusal names the field.
import { z } from 'zod';
import { DTMF_PATTERN, ID_PATTERN, TARGET_PATTERN, isStreamUrl } from '../../contracts/grammar.ts';

export const idSchema = z.string().regex(ID_PATTERN, { message: 'must be 1-64 of A-Z a-z 0-9 _ -' }).meta({
  description: "An ID: Kazoo's 32 hex characters, or 1-64 of A-Z a-z 0-9 _ -",
  example: '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21',
});

export const targetSchema = z
  .string()
  .regex(TARGET_PATTERN, { message: 'must be 1-64 dial-plan characters: 0-9 A-Z a-z * # + . _ -' })
  .meta({ description: 'The number or extension to transfer to; dial-plan characters only', example: '2600' });

export const dtmfSchema = z
  .string()
  .regex(DTMF_PATTERN, { message: 'must be 1-8 DTMF digits: 0-9 * #' })
  .meta({ description: 'A DTMF code', example: '*1' });

/** The syntax of a media reference; whether an ID exists for the account is checked by the handler (it needs the store). */
export const mediaRefSchema = z
  .string()
  .max(256)
  .refine((v) => isStreamUrl(v) || ID_PATTERN.test(v), {
    message:
      'must be a media ID, tone_stream://%(on,off,freq[,freq]) (optionally ;loops=N), %(on,off,freq[,freq]), or local_stream://name',
    params: { code: 'pattern' },
  })
  .meta({
    description:
      "A media ID of the account or one of its ancestors, or a stream: `tone_stream://%(2000,4000,440,480)`, Kazoo's bare `%(2000,4000,440,480)`, `local_stream://moh`",
    example: 'tone_stream://%(2000,4000,440,480)',
  });

export const transferTypeSchema = z
  .enum(['attended', 'blind'])
  .meta({ description: '`attended` (default): consult the target first; `blind`: release the transferor at once' });

export const partialFailureSchema = z.enum(['hangup', 'recall']).meta({
  description:
    'Handoff extension: if the transferor has hung up and the target then fails, `hangup` releases the transferee, ' +
    '`recall` calls the transferor back (default: PARTIAL_FAILURE)',
});

export const ringTimeoutSchema = z
  .number()
  .int()
  .min(1)
  .max(600)
  .meta({ description: "The target's ring time in seconds (default 20)", example: 20 });

/** Path parameters, as the routes name them. Their form is checked by the handlers (an ID that cannot exist is 404). */
export const accountParams = z.object({
  accountId: z.string().meta({ description: "The account's ID", example: '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21' }),
});

/**
 * Kazoo's pagination, read by api/pagination.ts (which answers a bad value in Kazoo's words): `page_size` (default 50,
 * at most 1000), `start_key` (a previous page's `next_start_key`), `paginate=false` (at most 1000 items, else 416).
 */
export const pageQuerySchema = z.object({
  page_size: z.string().optional().meta({ description: 'Items per page: 1 or more (default 50, at most 1000)' }),
  start_key: z.string().optional().meta({ description: "A previous page's next_start_key" }),
  paginate: z
    .string()
    .optional()
    .meta({ description: '`false`: every item in one answer (at most 1000, else 416 range not satisfiable)' }),
});
