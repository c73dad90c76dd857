// The codec server: the payload codec over HTTP, for the Temporal UI ("remote codec endpoint") and the CLI
// (`temporal workflow show --codec-endpoint`), so an SRE with access to it reads histories in clear while Temporal
// itself only ever stores ciphertext. Protocol: POST …/encode and …/decode with the Temporal API's Payloads message
// as protobuf JSON ({"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}); only the last path
// segment counts, so it can be mounted under any prefix. Browsers reach it cross-origin from the UI, hence CORS for
// the UI's origins only. It holds the keys: keep it on loopback, or behind CODEC_SERVER_AUTH and TLS.
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { AesGcmPayloadCodec, PayloadCodecError } from './codec.ts';

const Payloads = proto.temporal.api.common.v1.Payloads;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const payloadsJson = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000),
});

export type CodecServerConfig = Pick<
  Config,
  'PAYLOAD_CODEC_KEYS' | 'CODEC_CORS_ORIGINS' | 'CODEC_SERVER_AUTH' | 'CODEC_SERVER_HOST' | 'CODEC_SERVER_PORT'
>;

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export function createCodecApp(config: CodecServerConfig): Hono {
  const codec = new AesGcmPayloadCodec(config.PAYLOAD_CODEC_KEYS);
  const app = new Hono();
  app.use(
    '*',
    cors({
      origin: config.CODEC_CORS_ORIGINS,
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
      // The UI may send the user's credentials ("include cross-origin credentials").
      credentials: true,
      maxAge: 600,
    }),
  );
  app.use('*', bodyLimit({ maxSize: 8 * 1024 * 1024 }));
  app.post('*', async (c) => {
    const op = c.req.path.split('/').pop();
    if (op !== 'encode' && op !== 'decode') return c.json({ error: 'POST …/encode or …/decode' }, 404);
    if (config.CODEC_SERVER_AUTH && !sameSecret(c.req.header('authorization'), config.CODEC_SERVER_AUTH)) {
      return c.json({ error: 'unauthorized' }, 401);
    }
    let body: z.infer<typeof payloadsJson>;
    try {
      body = payloadsJson.parse(await c.req.json());
    } catch (err) {
      const detail = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`) : [];
      return c.json({ error: 'expected {"payloads":[{"metadata":{…},"data":"<base64>"}]}', detail }, 400);
    }
    const payloads: Payload[] = Payloads.fromObject(body).payloads.map((p) => ({ metadata: p.metadata, data: p.data }));
    try {
      const out = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      return c.json(Payloads.toObject(Payloads.create({ payloads: out }), { bytes: String, arrays: true }));
    } catch (err) {
      if (err instanceof PayloadCodecError) return c.json({ error: err.message }, 422);
      throw err;
    }
  });
  return app;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(
  config: CodecServerConfig,
  opts: { host?: string; port?: number } = {},
): Promise<RunningCodecServer> {
  const app = createCodecApp(config);
  let server: ServerType | undefined;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve(
      {
        fetch: app.fetch,
        hostname: opts.host ?? config.CODEC_SERVER_HOST,
        port: opts.port ?? config.CODEC_SERVER_PORT,
      },
      resolve,
    );
    server.once('error', reject);
  });
  const listening = server as ServerType;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${host}:${info.port}`,
    close: () =>
      new Promise<void>((done) => {
        listening.close(() => done());
        if ('closeAllConnections' in listening) listening.closeAllConnections();
      }),
  };
}
