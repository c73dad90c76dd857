// Field rules shared by the endpoints. Anything that can end up in a switch command is checked against a whitelist
// grammar here, at the edge, so a client can never reach a FreeSWITCH command line (newline, space, brace, comma
// outside a tone's own parentheses, quote, `&`, `;` outside the `;loops=` suffix: all refused, naming the field).
import { z } from 'zod';
import { ID_PATTERN } from '../../store/index.ts';

/** Dial-plan characters only: what a transfer target may be. */
export const TARGET_PATTERN = /^[0-9A-Za-z*#+._-]{1,64}$/;
/** A DTMF sequence: the takeback code. */
export const DTMF_PATTERN = /^[0-9*#]{1,8}$/;
/** A hangup cause as FreeSWITCH names them (NORMAL_CLEARING, USER_BUSY ...). */
export const HANGUP_CAUSE_PATTERN = /^[A-Z_]{1,64}$/;

/** One Teletone segment: `%(on_ms,off_ms,freq[,freq...])`, whole numbers or decimals, up to four frequencies. */
const TONE = String.raw`%\(\d{1,5},\d{1,5}(?:,\d{1,5}(?:\.\d{1,3})?){1,4}\)`;
/** Kazoo's bare ringback (it wraps it in tone_stream:// itself). */
export const BARE_TONE_PATTERN = new RegExp(`^${TONE}$`);
/** `tone_stream://` + one or more segments joined by `;`, and an optional `;loops=N` (-1 = forever). */
export const TONE_STREAM_PATTERN = new RegExp(`^tone_stream://${TONE}(?:;${TONE}){0,7}(?:;loops=(?:-1|\\d{1,3}))?$`);
/** A FreeSWITCH local_stream (a music-on-hold class) by name. */
export const LOCAL_STREAM_PATTERN = /^local_stream:\/\/[A-Za-z0-9_-]{1,64}$/;
/** An absolute sound file path (media records only, created by an administrator): no `..`, no hidden segments. */
export const FILE_PATH_PATTERN = /^(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}){1,16}\.(?:wav|mp3)$/;

export function isStreamUrl(value: string): boolean {
  return BARE_TONE_PATTERN.test(value) || TONE_STREAM_PATTERN.test(value) || LOCAL_STREAM_PATTERN.test(value);
}

/** What a media record may point at: a stream URL or a sound file. */
export function isMediaStream(value: string): boolean {
  return isStreamUrl(value) || FILE_PATH_PATTERN.test(value);
}

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
