// Payload codec: every payload a Handoff client or worker sends to Temporal (workflow and activity arguments, results,
// signals, updates, queries, memos) is encrypted with AES-256-GCM before it leaves the process, so histories hold no
// caller number or name in clear. Search attributes are not payloads the codec sees: they carry no caller data
// (contracts/search-attributes.ts).
//
// Keys come from configuration as `id:base64` pairs (PAYLOAD_CODEC_KEYS). The first encrypts; every one decrypts, so
// keys rotate by putting a new key first and keeping the old ones until the namespace's retention has expired every
// history written with them. Each encrypted payload names its key id in its metadata.
import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { CodecKey } from '../config/index.ts';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

export class PayloadCodecError extends Error {}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CodecKey;

  constructor(keys: readonly CodecKey[]) {
    if (!keys.length) throw new PayloadCodecError('no payload codec key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated too: a payload cannot be passed off as written under another key.
    cipher.setAAD(Buffer.from(this.current.id));
    const plain = Buffer.from(encodePayload(payload));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID]: utf8(this.current.id) },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    // Payloads written before the codec was configured (and recorded histories) stay readable.
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID]);
    const key = id === undefined ? undefined : this.byId.get(id);
    if (!key) {
      throw new PayloadCodecError(
        `payload encrypted with key id ${JSON.stringify(id)}, which PAYLOAD_CODEC_KEYS does not hold`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('encrypted payload too short');
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id!));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return decodePayload(plain);
    } catch {
      throw new PayloadCodecError(`payload under key id ${id} failed authentication (altered, or a different key)`);
    }
  }
}

// The inner payload is serialised as the Temporal API's Payload message, as Temporal's own encryption samples do.
const ProtoPayload = proto.temporal.api.common.v1.Payload;

function encodePayload(p: Payload): Uint8Array {
  return ProtoPayload.encode(ProtoPayload.create(p)).finish();
}

function decodePayload(bytes: Uint8Array): Payload {
  const p = ProtoPayload.decode(bytes);
  return { metadata: p.metadata, data: p.data };
}
