import { z } from 'zod';
import { HANGUP_CAUSE_PATTERN } from '../../contracts/grammar.ts';
import {
  dtmfSchema,
  mediaRefSchema,
  partialFailureSchema,
  ringTimeoutSchema,
  targetSchema,
  transferTypeSchema,
} from './common.ts';
import { mediaNotes } from './media.ts';
import { metaflowSchema } from './metaflows.ts';

export const CHANNEL_ACTIONS = [
  'transfer',
  'hangup',
  'break',
  'cancel_transfer',
  'three_way',
  'swap',
  'hold',
  'unhold',
] as const;
/** Kazoo actions Handoff does not run (they need Kazoo's callflow engine or Konami Pro). */
export const UNSUPPORTED_KAZOO_ACTIONS = ['callflow', 'intercept', 'move'] as const;

export const transferAction = z
  .object({
    action: z.literal('transfer'),
    target: targetSchema,
    takeback_dtmf: dtmfSchema
      .optional()
      .meta({ description: 'What the transferor presses to take the call back (default *1)' }),
    moh: mediaRefSchema.optional().meta({ description: "The transferee's hold music (default: the account's)" }),
    ringback: mediaRefSchema.optional().meta({
      description:
        "What the transferor hears while the target rings (default: the account's, then %(2000,4000,440,480))",
    }),
    timeout: ringTimeoutSchema.optional(),
    partial_failure: partialFailureSchema.optional(),
    transfer_type: transferTypeSchema.optional(),
    'transfer-type': transferTypeSchema.optional().meta({ description: 'Kazoo spelling of transfer_type' }),
    'Transfer-Type': transferTypeSchema.optional().meta({ description: 'Kazoo 4.0 spelling of transfer_type' }),
  })
  .meta({
    id: 'TransferAction',
    description: 'Start a transfer: the call (transferor) hands its peer (transferee) to target',
  });

export const hangupAction = z
  .object({
    action: z.literal('hangup'),
    cause: z
      .string()
      .regex(HANGUP_CAUSE_PATTERN, { message: 'must be a hangup cause such as NORMAL_CLEARING' })
      .optional()
      .meta({ description: 'Handoff extension: the hangup cause (default NORMAL_CLEARING)' }),
  })
  .meta({ id: 'HangupAction' });

export const breakAction = z
  .object({ action: z.literal('break') })
  .meta({ id: 'BreakAction', description: 'Stop what the leg is playing' });

export const cancelTransferAction = z.object({ action: z.literal('cancel_transfer') }).meta({
  id: 'CancelTransferAction',
  description: 'Handoff extension: cancel the running transfer and reconnect transferor and transferee',
});

export const threeWayAction = z.object({ action: z.literal('three_way') }).meta({
  id: 'ThreeWayAction',
  description:
    'Handoff extension, on the transferor during the consultation: transferor, transferee and target talk in one ' +
    'conference (the transferor hanging up then completes the transfer; cancel_transfer drops the target)',
});

export const swapAction = z.object({ action: z.literal('swap') }).meta({
  id: 'SwapAction',
  description:
    'Handoff extension, on the transferor during the consultation: talk to the other party while the one left hears ' +
    'music; again to swap back',
});

export const holdAction = z.object({ action: z.literal('hold') }).meta({
  id: 'HoldAction',
  description: "Kazoo's hold: the call's peer hears music, the call silence, until unhold (the call's phase is held)",
});

export const unholdAction = z.object({ action: z.literal('unhold') }).meta({
  id: 'UnholdAction',
  description: 'Takes the peer off hold: the two talk again',
});

export const channelAction = z
  .discriminatedUnion('action', [
    transferAction,
    hangupAction,
    breakAction,
    cancelTransferAction,
    threeWayAction,
    swapAction,
    holdAction,
    unholdAction,
  ])
  .meta({ id: 'ChannelAction' });

export type ChannelAction = z.infer<typeof channelAction>;

export const metaflowAction = z.object({ action: z.literal('metaflow'), data: metaflowSchema }).meta({
  id: 'MetaflowAction',
  description:
    "Kazoo's metaflow action: run the metaflow's module on the call (transfer, blind_transfer, resume, hangup, break, three_way, swap, hold, hold_control). `data.leg` `bleg`/`peer` acts on the bridged leg",
});

/**
 * A channel action's body as received: `action` may also be at the top level or in the query string (Kazoo's
 * req_value), and the handler reads the rest in Kazoo's order, answering Kazoo's errors; the document shows what
 * `data` holds.
 */
function actionEnvelope(description: string, forms: string[]) {
  return z.object({
    data: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description, anyOf: forms.map((id) => ({ $ref: `#/components/schemas/${id}` })) }),
    action: z.string().optional().meta({ description: "The action, when it is not in data (Kazoo's forms)" }),
  });
}

/** POST …/channels/{CALL_ID}. */
export const channelActionEnvelope = actionEnvelope('The action and its fields', [
  'ChannelAction',
  'MetaflowAction',
]).meta({ id: 'ChannelActionRequest' });

/** PUT …/channels/{CALL_ID}: `{"action": "metaflow", "data": <metaflow>}`, or the metaflow action in data. */
export const metaflowActionEnvelope = actionEnvelope('The metaflow (or the metaflow action)', [
  'Metaflow',
  'MetaflowAction',
]).meta({ id: 'MetaflowActionRequest' });

export const transferView = z
  .object({
    transfer_id: z.string(),
    phase: z.enum([
      'starting',
      'ringing',
      'consulting',
      'partial',
      'recalling',
      'connecting',
      'joining',
      'three_way',
      'swapped',
      'ended',
    ]),
    outcome: z.string().optional(),
    reason: z.string().optional(),
    transferor: z.string(),
    transferee: z.string(),
    target: z.string(),
    target_leg: z.string().optional(),
    recall_leg: z.string().optional().meta({
      description: 'PARTIAL_FAILURE=recall: the leg that called the transferor back',
    }),
    transfer_type: z.enum(['attended', 'blind']),
    started: z.string().optional().meta({ description: 'ISO-8601' }),
    ended: z.string().optional().meta({ description: 'ISO-8601' }),
  })
  .meta({ id: 'Transfer' });

/** The envelope's `handoff` of a channel action: the transfer as the call answered it, and notes on the request. */
export const actionHandoff = transferView
  .partial()
  .extend({
    status: z.literal('pending').optional().meta({
      description:
        'The call accepted the transfer and is setting it up (HTTP 202): send the request again for its outcome',
    }),
    message: z.string().optional(),
    call_phase: z
      .enum(['ringing', 'answered', 'bridged', 'held', 'in_transfer', 'ended'])
      .optional()
      .meta({ description: 'hold and unhold: the call’s phase afterwards (held, or bridged)' }),
    media: mediaNotes.optional(),
    ignored: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Parts of a metaflow action Handoff does not run, and why' }),
  })
  .meta({ id: 'ChannelActionHandoff' });

/** Who a channel belongs to (the leg's ecallmgr_* variables): in the list and in the detail. */
const ownership = {
  owner_id: z.string().optional().meta({ description: 'The user (ecallmgr_Owner-ID)' }),
  authorizing_id: z.string().optional().meta({ description: 'The device or resource (ecallmgr_Authorizing-ID)' }),
  authorizing_type: z.string().optional(),
  presence_id: z.string().optional(),
  username: z.string().optional().meta({ description: "The device's SIP username" }),
  destination: z.string().optional().meta({ description: 'The number dialled' }),
};

export const channelListItem = z
  .object({
    uuid: z.string(),
    answered: z.boolean(),
    direction: z.string().optional(),
    other_leg: z.string().optional(),
    ...ownership,
    caller_id_name: z.string().optional(),
    caller_id_number: z.string().optional(),
    callee_id_number: z.string().optional(),
    elapsed_s: z.number().int(),
    timestamp: z.number().int().meta({ description: 'Gregorian seconds, as Kazoo' }),
  })
  .meta({ id: 'ChannelListItem' });

export const channelView = z
  .object({
    call_id: z.string(),
    uuid: z.string(),
    answered: z.boolean(),
    call_direction: z.string().optional(),
    other_leg_call_id: z.string().optional(),
    caller_id_name: z.string().optional(),
    caller_id_number: z.string().optional(),
    callee_id_number: z.string().optional(),
    ...ownership,
    callee_id_name: z.string().optional(),
    account_billing: z.string().optional(),
    reseller_id: z.string().optional(),
    reseller_billing: z.string().optional(),
    resource_id: z.string().optional(),
    callflow_id: z.string().optional(),
    channel_authorized: z.boolean().optional(),
    interaction_id: z.string().optional(),
    custom_channel_vars: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: "Kazoo's custom channel variables: the leg's ecallmgr_<Name> variables, by Name" }),
    from: z.string().optional(),
    to: z.string().optional(),
    from_tag: z.string().optional(),
    to_tag: z.string().optional(),
    is_loopback: z.boolean().optional(),
    loopback_leg_name: z.string().optional(),
    loopback_other_leg: z.string().optional(),
    elapsed_seconds: z.number().int(),
    timestamp: z.number().int().meta({ description: 'Gregorian seconds, as Kazoo' }),
    handoff: z
      .object({
        node: z.string().optional(),
        phase: z.enum(['ringing', 'answered', 'bridged', 'held', 'in_transfer', 'ended']).optional(),
        transfer: transferView.optional().meta({ description: 'The running (or last) transfer' }),
        digits_kept_from: z
          .string()
          .optional()
          .meta({
            description:
              "While the call types a private feature code (a metaflow's private_codes): the peer's call ID, whose ear " +
              'is masked until the code is decided',
          }),
        hangup_cause: z.string().optional(),
        engine_error: z.string().optional().meta({
          description:
            "Set when the engine could not be asked: fixed words; the details are in the API's log under request_id",
        }),
      })
      .meta({ description: "Handoff's extras (Kazoo clients ignore this key)" }),
  })
  .meta({ id: 'Channel' });
