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

export const CHANNEL_ACTIONS = ['transfer', 'hangup', 'break', 'cancel_transfer'] as const;
/** Kazoo actions Handoff does not run (they need Kazoo's callflow engine or Konami Pro). */
export const UNSUPPORTED_KAZOO_ACTIONS = ['callflow', 'intercept', 'move'] as const;

/** The body as received: `action` may also be at the top level or in the query string (Kazoo's req_value). */
export const channelActionEnvelope = z
  .object({
    data: z.record(z.string(), z.unknown()).optional(),
    action: z.string().optional(),
  })
  .meta({ id: 'ChannelActionRequest' });

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

export const channelAction = z
  .discriminatedUnion('action', [transferAction, hangupAction, breakAction, cancelTransferAction])
  .meta({ id: 'ChannelAction' });

export type ChannelAction = z.infer<typeof channelAction>;

const transferView = z
  .object({
    transfer_id: z.string(),
    phase: z.string().meta({
      description: 'starting | ringing | consulting | partial | recalling | connecting | ended',
    }),
    outcome: z.string().optional(),
    reason: z.string().optional(),
    transferor: z.string(),
    transferee: z.string(),
    target: z.string(),
    target_leg: z.string().optional(),
    recall_leg: z.string().optional().meta({
      description: 'PARTIAL_FAILURE=recall: the leg that called the transferor back',
    }),
    transfer_type: z.string(),
    started: z.string().optional(),
    ended: z.string().optional(),
  })
  .meta({ id: 'Transfer' });

export const channelListItem = z
  .object({
    uuid: z.string(),
    answered: z.boolean(),
    direction: z.string().optional(),
    other_leg: z.string().optional(),
    caller_id_name: z.string().optional(),
    caller_id_number: z.string().optional(),
    callee_id_number: z.string().optional(),
    destination: z.string().optional(),
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
    elapsed_seconds: z.number().int(),
    timestamp: z.number().int(),
    handoff: z
      .object({
        node: z.string(),
        phase: z.string().optional().meta({ description: 'ringing | answered | bridged | in_transfer | ended' }),
        transfer: transferView.optional().meta({ description: 'The running (or last) transfer' }),
        hangup_cause: z.string().optional(),
        engine_error: z.string().optional().meta({
          description:
            "Set when the engine could not be asked: fixed words; the details are in the API's log under request_id",
        }),
      })
      .meta({ description: "Handoff's extras (Kazoo clients ignore this key)" }),
  })
  .meta({ id: 'Channel' });

export { transferView };
