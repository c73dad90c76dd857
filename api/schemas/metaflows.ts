// Kazoo's metaflows schema. Handoff's own modules are validated strictly; Kazoo's other modules are
// stored as they are (so existing Kazoo metaflows can be posted unchanged) and not acted on yet.
import { z } from 'zod';
import {
  dtmfSchema,
  mediaRefSchema,
  partialFailureSchema,
  ringTimeoutSchema,
  targetSchema,
  transferTypeSchema,
} from './common.ts';

export const HANDOFF_MODULES = ['transfer', 'resume', 'hangup'] as const;
export const KAZOO_STORED_MODULES = [
  'say',
  'play',
  'tts',
  'record_call',
  'audio_level',
  'callflow',
  'intercept',
  'break',
  'hold',
] as const;

const bindingDigit = z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']);
const digitTimeout = z.number().int().min(0).max(60_000);
const children = z
  .record(z.string(), z.record(z.string(), z.unknown()))
  .optional()
  .meta({ description: 'Kazoo branches; stored, not acted on' });
const emptyData = z.object({}).strict().optional();

export const transferData = z
  .object({
    target: targetSchema.optional().meta({ description: 'Used when the pattern has no capture group' }),
    takeback_dtmf: dtmfSchema.optional(),
    moh: mediaRefSchema.optional(),
    ringback: mediaRefSchema.optional(),
    timeout: ringTimeoutSchema.optional(),
    partial_failure: partialFailureSchema.optional(),
    transfer_type: transferTypeSchema.optional(),
    captures: z
      .array(z.string().max(64))
      .optional()
      .meta({ description: "Accepted and dropped: Kazoo's injected default; captures come from the digits" }),
    leg: z.string().max(64).optional().meta({ description: 'Konami Pro; stored, not acted on' }),
  })
  .strict();

const transferMetaflow = z.object({ module: z.literal('transfer'), data: transferData.optional(), children }).strict();
const resumeMetaflow = z
  .object({ module: z.literal('resume'), data: emptyData, children })
  .strict()
  .meta({ description: 'Cancel the running transfer and reconnect transferor and transferee' });
const hangupMetaflow = z
  .object({ module: z.literal('hangup'), data: emptyData, children })
  .strict()
  .meta({ description: 'Hang up the leg that pressed the code' });
const storedMetaflow = z
  .object({ module: z.enum(KAZOO_STORED_MODULES), data: z.record(z.string(), z.unknown()).optional(), children })
  .strict()
  .meta({ description: 'Kazoo modules Handoff stores but does not act on yet' });

export const metaflowSchema = z
  .discriminatedUnion('module', [transferMetaflow, resumeMetaflow, hangupMetaflow, storedMetaflow])
  .meta({ id: 'Metaflow' });

// Pattern keys are checked against the configured limits by the route (api/routes/metaflows.ts): one RE2 cannot run
// is stored but inactive, and reported in the response's `handoff` key.
const patternKey = z.string().min(1);

export const metaflowsDoc = z
  .object({
    binding_digit: bindingDigit.optional().meta({ description: 'Arms the collector (default *)' }),
    binding_key: bindingDigit
      .optional()
      .meta({ description: "Alias of binding_digit (Kazoo's docs); stored as binding_digit" }),
    digit_timeout: digitTimeout.optional().meta({ description: 'Inter-digit timeout in ms (default 800)' }),
    digit_timeout_ms: digitTimeout.optional().meta({ description: 'Alias of digit_timeout' }),
    listen_on: z.enum(['self', 'peer', 'both']).optional(),
    numbers: z
      .record(z.string().regex(/^[0-9]+$/, { message: 'must be digits only' }), metaflowSchema)
      .optional()
      .meta({
        description:
          'Exact codes (after the binding digit), tried before patterns; at most FEATURE_CODE_MAX_DIGITS digits',
      }),
    patterns: z
      .record(patternKey, metaflowSchema)
      .optional()
      .meta({
        description:
          'Regular expressions on RE2 (linear-time) semantics, matched against the WHOLE collected string (Kazoo: ' +
          'unanchored); the first capture is the transfer target. At most FEATURE_CODE_MAX_PATTERNS keys of at most ' +
          'FEATURE_CODE_PATTERN_MAX_LENGTH characters; a key RE2 cannot run (lookaround, backreferences) or larger than ' +
          "FEATURE_CODE_PATTERN_MAX_PROGRAM is stored but not run, and named in the response's handoff.inactive_patterns",
      }),
  })
  .strict()
  .meta({ id: 'Metaflows' });

export type MetaflowsInput = z.infer<typeof metaflowsDoc>;

export const metaflowsRequest = z.object({ data: metaflowsDoc }).meta({ id: 'MetaflowsRequest' });
