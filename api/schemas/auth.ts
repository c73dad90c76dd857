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
    expires_at: z.string().meta({ description: 'ISO-8601' }),
    expires_in_s: z.number().int(),
  })
  .meta({ id: 'TokenInfo' });
