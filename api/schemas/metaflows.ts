// Kazoo's metaflows schemas (applications/crossbar/priv/couchdb/schemas/metaflows.json, metaflow.json and one
// metaflows.<module>.json per module), as zod: what Kazoo accepts is accepted and stored as posted, extra keys
// included (Kazoo's schemas allow them everywhere but in `numbers`, whose keys are digits); what Kazoo refuses is
// refused, naming the field. Whether Handoff runs an entry is not the schema's business: contracts/metaflow-entries.ts
// decides, and the route reports it in the envelope's `handoff`.
import { z } from 'zod';
import { KNOWN_MODULES } from '../../contracts/metaflow-entries.ts';
import { mediaNotes } from './media.ts';

const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] as const;
const bindingDigit = z.enum(digits);
const httpUrl = z.string().regex(/^https?:\/\//, { message: 'must be an http(s) URL' });

const transferData = z.looseObject({
  captures: z
    .array(z.string())
    .optional()
    .meta({ description: "Kazoo's default; Handoff takes captures from the digits" }),
  leg: z.string().optional(),
  target: z.string().optional().meta({ description: 'Used when the pattern has no capture group' }),
  timeout: z.number().int().optional().meta({ description: "The target's ring time in seconds (1-600 run)" }),
  transfer_type: z
    .enum(['attended', 'blind'])
    .optional()
    .meta({ description: 'Stored, ignored as Konami ignores it: use the module blind_transfer for a blind transfer' }),
});

/** Each module's `data`, as its Kazoo schema has it (types, enums, ranges, required keys); extra keys are kept. */
const MODULE_DATA: Record<string, z.ZodType> = {
  transfer: transferData,
  blind_transfer: transferData,
  hangup: z.looseObject({}),
  resume: z.looseObject({}),
  break: z.looseObject({}),
  audio_level: z.looseObject({
    action: z.enum(['start', 'stop']).optional(),
    level: z.number().int().min(-4).max(4).optional(),
    mode: z.enum(['read', 'write']).optional(),
  }),
  callflow: z.looseObject({
    captures: z.string().optional(),
    collected: z.string().optional(),
    flow: z.record(z.string(), z.unknown()).optional(),
    id: z.string().optional(),
  }),
  hold: z.looseObject({
    moh_aleg: z.string().optional(),
    moh_bleg: z.string().optional(),
    unhold_key: z.string().optional(),
  }),
  hold_control: z.looseObject({ action: z.enum(['hold', 'unhold', 'toggle']).optional() }),
  intercept: z.looseObject({
    auto_answer: z.boolean().optional(),
    can_call_self: z.boolean().optional(),
    target_id: z.string().optional(),
    target_type: z.enum(['device', 'user', 'number']).optional(),
    unbridged_only: z.boolean().optional(),
  }),
  move: z.looseObject({
    auto_answer: z.boolean().optional(),
    can_call_self: z.boolean().optional(),
    device_id: z.string().optional(),
    dial_strategy: z.string().optional(),
    owner_id: z.string().optional(),
  }),
  pivot: z.looseObject({
    cdr_url: httpUrl.optional(),
    debug: z.boolean().optional(),
    method: z.enum(['get', 'post', 'GET', 'POST']).optional(),
    req_format: z.enum(['kazoo', 'twiml']).optional(),
    voice_url: httpUrl,
  }),
  play: z.looseObject({ id: z.string().optional(), leg: z.enum(['self', 'peer', 'both']).optional() }),
  record_call: z.looseObject({
    action: z.enum(['mask', 'unmask', 'start', 'stop', 'toggle']).optional(),
    format: z.enum(['mp3', 'wav']).optional(),
    label: z.string().optional(),
    media_name: z.string().optional(),
    method: z.enum(['put', 'post']).optional(),
    origin: z.string().optional(),
    record_min_sec: z.number().int().optional(),
    record_on_answer: z.boolean().optional(),
    record_on_bridge: z.boolean().optional(),
    record_sample_rate: z.number().int().optional(),
    time_limit: z.number().int().optional(),
    url: httpUrl.optional(),
  }),
  relate: z.looseObject({
    conference_id: z.string(),
    other_participant: z.union([z.string(), z.number().int()]),
    participant_id: z.union([z.string(), z.number().int()]),
    relationship: z.enum(['deaf', 'clear', 'mute']).optional(),
  }),
  say: z.looseObject({
    gender: z.enum(['feminine', 'masculine', 'neuter']).optional(),
    language: z.string().optional(),
    method: z.enum(['pronounced', 'iterated', 'counted']).optional(),
    text: z.string().optional(),
    type: z
      .enum([
        'account_number',
        'currency',
        'current_date',
        'current_date_time',
        'current_time',
        'email_address',
        'ip_address',
        'items',
        'messages',
        'name_phonetic',
        'name_spelled',
        'number',
        'persons',
        'postal_address',
        'short_date_time',
        'telephone_extension',
        'telephone_number',
        'time_measurement',
        'url',
      ])
      .optional(),
  }),
  sound_touch: z.looseObject({
    action: z.enum(['start', 'stop']).optional(),
    adjust_in_octaves: z.number().min(-1).max(1).optional(),
    adjust_in_semitones: z.number().min(-14).max(14).optional(),
    hook_dtmf: z.boolean().optional(),
    pitch: z.number().min(1).optional(),
    rate: z.number().min(1).optional(),
    sending_leg: z.boolean().optional(),
    tempo: z.number().min(1).optional(),
  }),
  tts: z.looseObject({
    engine: z.string().optional(),
    language: z.string().optional(),
    leg: z.string().optional(),
    terminators: z.array(z.enum(digits)).optional(),
    text: z.string().optional(),
    voice: z.string().optional(),
  }),
};

export interface MetaflowNode {
  module: string;
  data?: Record<string, unknown>;
  children?: Record<string, MetaflowNode>;
  [extra: string]: unknown;
}

/** Kazoo's `metaflow`: a module (one Kazoo has a schema for, or Handoff's blind_transfer), its data, its children. */
export const metaflowSchema: z.ZodType<MetaflowNode> = z
  .looseObject({
    module: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()).optional(),
    digits: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({
        description:
          'Handoff: on a `patterns` entry, the collected string has exactly this many digits (after the binding ' +
          'digit): the pattern matches no other length, and the code is acted on at its last digit',
      }),
    get children() {
      return z.record(z.string().min(1), metaflowSchema).optional();
    },
  })
  .superRefine((node, ctx) => {
    if (!KNOWN_MODULES.includes(node.module)) {
      ctx.addIssue({
        code: 'custom',
        path: ['module'],
        message: `unable to find metaflow schema for module ${node.module}`,
        params: { code: 'enum' },
      });
      return;
    }
    const checked = (MODULE_DATA[node.module] as z.ZodType).safeParse(node.data ?? {}, { reportInput: true });
    if (checked.success) return;
    for (const issue of checked.error.issues) ctx.addIssue({ ...issue, path: ['data', ...issue.path] } as never);
  })
  .meta({ id: 'Metaflow' }) as z.ZodType<MetaflowNode>;

export const metaflowsDoc = z
  .looseObject({
    binding_digit: bindingDigit.optional().meta({ description: 'Arms the collector (default *)' }),
    binding_key: bindingDigit
      .optional()
      .meta({ description: "Alias of binding_digit (Kazoo's docs); stored as binding_digit" }),
    digit_timeout: z.number().int().min(0).optional().meta({ description: 'Inter-digit timeout in ms (default 800)' }),
    digit_timeout_ms: z.number().int().min(0).optional().meta({ description: 'Alias of digit_timeout' }),
    listen_on: z.enum(['self', 'peer', 'both']).optional(),
    terminator: z
      .union([bindingDigit, z.literal('')])
      .optional()
      .meta({
        description:
          'Handoff: the key that ends a code at once (default FEATURE_CODE_TERMINATOR, `#`); "" for none. Off ' +
          'where it is the binding digit or a code may contain it',
      }),
    private_codes: z
      .boolean()
      .optional()
      .meta({
        description:
          "Handoff: the codes' digits are kept from the presser's peer (it hears the binding digit only; digits that " +
          'turn out to be no code are sent on to it at once). Default false',
      }),
    numbers: z
      .record(z.string().regex(/^[0-9]+$/, { message: 'must be digits only' }), metaflowSchema)
      .optional()
      .meta({
        description:
          'Exact codes (after the binding digit), tried before patterns; at most FEATURE_CODE_MAX_DIGITS digits',
      }),
    patterns: z
      .record(z.string().min(1), metaflowSchema)
      .optional()
      .meta({
        description:
          'Regular expressions on RE2 (linear-time) semantics, matched against the WHOLE collected string (Konami: ' +
          'unanchored); the first capture is the transfer target. At most FEATURE_CODE_MAX_PATTERNS keys of at most ' +
          'FEATURE_CODE_PATTERN_MAX_LENGTH characters; a key RE2 cannot run (lookaround, backreferences) or larger than ' +
          "FEATURE_CODE_PATTERN_MAX_PROGRAM is stored but not run, and named in the response's handoff.inactive_patterns",
      }),
  })
  .meta({ id: 'Metaflows' });

export type MetaflowsInput = z.infer<typeof metaflowsDoc>;

export const metaflowsRequest = z.object({ data: metaflowsDoc }).meta({ id: 'MetaflowsRequest' });

/** The envelope's `handoff` of a metaflows answer: what Handoff keeps of the document without running it, and why. */
export const metaflowsReport = z
  .object({
    inactive_patterns: z
      .record(z.string(), z.string())
      .meta({ description: 'Patterns stored but not run (RE2 cannot run them, or too large), and why' }),
    inactive_entries: z
      .record(z.string(), z.string())
      .meta({ description: 'Entries stored but not run (modules Handoff does not run, data it cannot run), and why' }),
    ignored: z.record(z.string(), z.string()).meta({ description: 'Fields stored but ignored, and why' }),
    media: mediaNotes.meta({
      description: "moh/ringback media IDs played through MEDIA_URL_TEMPLATE or falling back to the account's default",
    }),
  })
  .meta({ id: 'MetaflowsReport' });
