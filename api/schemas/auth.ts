import { z } from 'zod';
import { requestEnvelope } from './envelope.ts';

export const apiAuthRequest = requestEnvelope(
  z.object({
    api_key: z.string().min(1).max(256).meta({ description: 'An API key (64 hex characters)' }),
  }),
).meta({ id: 'ApiAuthRequest' });

export const tokenInfo = z
  .object({
    account_id: z.string(),
    account_name: z.string().optional(),
    apps: z.array(z.unknown()).meta({ description: "Kazoo's apps: always empty (Handoff keeps no apps)" }),
    is_master_account: z.boolean().meta({ description: 'A top-level account' }),
    is_reseller: z.boolean().meta({ description: 'A top-level account: the reseller of its tree' }),
    reseller_id: z.string().meta({ description: 'The top-level account of the tree' }),
    language: z.string().meta({ example: 'en-US' }),
    expires_at: z.string().meta({ description: 'ISO-8601' }),
    expires_in_s: z.number().int(),
  })
  .meta({ id: 'TokenInfo' });
