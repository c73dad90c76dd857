import { z } from 'zod';
import { isStreamUrl } from '../../contracts/grammar.ts';
import { idSchema } from './common.ts';
import { requestEnvelope } from './envelope.ts';

export const mediaCreateRequest = requestEnvelope(
  z.object({
    id: idSchema.optional(),
    name: z.string().trim().min(1).max(128),
    stream_url: z
      .string()
      .max(256)
      .refine(isStreamUrl, {
        message: 'must be tone_stream://%(on,off,freq[,freq]) (optionally ;loops=N) or local_stream://name',
        params: { code: 'pattern' },
      })
      .meta({
        description:
          'What the switch plays. Sound files (absolute paths) can only be registered with the admin command',
        example: 'local_stream://moh',
      }),
  }),
).meta({ id: 'MediaCreateRequest' });

export const mediaView = z
  .object({ id: z.string(), account_id: z.string(), name: z.string(), stream_url: z.string(), created: z.string() })
  .meta({ id: 'Media' });

/** What a moh/ringback media ID of a request will play when it is not a media record (by field). */
export const mediaNotes = z
  .record(
    z.string(),
    z.object({
      media_id: z.string(),
      plays: z.string().meta({ description: "The URL MEDIA_URL_TEMPLATE made, or the account's default" }),
      source: z.literal('MEDIA_URL_TEMPLATE').optional(),
      reason: z.string().optional().meta({ description: 'Why the ID resolved nowhere' }),
    }),
  )
  .meta({ id: 'MediaNotes' });
