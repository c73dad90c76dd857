import { z } from 'zod';
import { idSchema, mediaRefSchema } from './common.ts';
import { requestEnvelope } from './envelope.ts';

const name = z.string().trim().min(1).max(128).meta({ description: "The account's name" });
const musicOnHold = z
  .object({ media_id: idSchema.nullable().optional() })
  .meta({ description: "Kazoo's `music_on_hold.media_id`: the transferee's hold music when a transfer names none" });
const ringback = mediaRefSchema
  .nullable()
  .meta({ description: "The transferor's ringback when a transfer names none (media ID or stream)" });

export const accountCreateRequest = requestEnvelope(
  z.object({
    id: idSchema.optional().meta({ description: 'Choose the ID (e.g. the Kazoo account ID); generated otherwise' }),
    name,
    music_on_hold: musicOnHold.optional(),
    ringback: ringback.optional(),
  }),
).meta({ id: 'AccountCreateRequest' });

export const accountUpdateRequest = requestEnvelope(
  z.object({
    name: name.optional(),
    music_on_hold: musicOnHold.optional(),
    ringback: ringback.optional(),
  }),
).meta({ id: 'AccountUpdateRequest' });

export const accountView = z
  .object({
    id: z.string(),
    name: z.string(),
    parent_id: z.string().optional(),
    tree: z.array(z.string()).meta({ description: "Kazoo's pvt_tree: the ancestors, root first" }),
    music_on_hold: z.object({ media_id: z.string().optional() }),
    ringback: z.string().optional(),
    created: z.string().meta({ description: 'ISO-8601' }),
  })
  .meta({ id: 'Account' });

export const apiKeyView = z
  .object({
    id: z.string(),
    account_id: z.string(),
    api_key: z.string().meta({ description: 'Shown once; only its hash is stored' }),
  })
  .meta({ id: 'ApiKey' });
