// Caller data in histories: the AES-GCM payload codec (temporal/codec.ts) and the codec server the Temporal UI uses
// (temporal/codec-server.ts). End to end: a call run with PAYLOAD_CODEC_KEYS leaves no caller number in clear in its
// history (the same call without keys does: the assertion can fail), and the history decodes through the endpoint.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { repoRoot, type CodecKey } from '../../config/index.ts';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, PayloadCodecError } from '../../temporal/codec.ts';
import { startCodecServer, type CodecServerConfig } from '../../temporal/codec-server.ts';
import { dataConverter } from '../../temporal/connection.ts';
import { workflowBundle } from '../../workers/workflow-worker.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, startEngine, waitFor, type Engine } from '../support/engine.ts';

const { temporal } = proto;
const key = (id: string): CodecKey => ({ id, key: crypto.randomBytes(32) });
const json = (v: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(v)),
});
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

test('encrypts with the first key, names it, and decodes back', async (t) => {
  const codec = new AesGcmPayloadCodec([key('k1')]);
  const plain = json({ callerIdNumber: '+15551234567', callerIdName: 'Alice' });
  const [enc] = await codec.encode([plain]);
  t.is(text(enc!.metadata!.encoding), ENCRYPTED_ENCODING);
  t.is(text(enc!.metadata!['encryption-key-id']), 'k1');
  t.false(text(enc!.data).includes('5551234567'));
  t.false(text(enc!.data).includes('json/plain'), 'the inner metadata is encrypted too');
  const [dec] = await codec.decode([enc!]);
  t.deepEqual(text(dec!.data), text(plain.data));
  t.is(text(dec!.metadata!.encoding), 'json/plain');
});

test('rotation: a payload under the old key decodes while the new key encrypts', async (t) => {
  const [k1, k2] = [key('k1'), key('k2')];
  const [old] = await new AesGcmPayloadCodec([k1]).encode([json('x')]);
  const rotated = new AesGcmPayloadCodec([k2, k1]);
  t.is(text((await rotated.decode([old!]))[0]!.data), '"x"');
  t.is(text((await rotated.encode([json('y')]))[0]!.metadata!['encryption-key-id']), 'k2');
});

test('plain payloads (histories written before the codec) pass through decode', async (t) => {
  const plain = json({ a: 1 });
  t.deepEqual(await new AesGcmPayloadCodec([key('k1')]).decode([plain]), [plain]);
});

test('an unknown key id or an altered payload is a clear error, never garbage', async (t) => {
  const [enc] = await new AesGcmPayloadCodec([key('k1')]).encode([json('secret')]);
  await t.throwsAsync(() => new AesGcmPayloadCodec([key('k9')]).decode([enc!]), {
    instanceOf: PayloadCodecError,
    message: /key id "k1", which PAYLOAD_CODEC_KEYS does not hold/,
  });
  await t.throwsAsync(() => new AesGcmPayloadCodec([{ id: 'k1', key: crypto.randomBytes(32) }]).decode([enc!]), {
    instanceOf: PayloadCodecError,
    message: /failed authentication/,
  });
  const data = Buffer.from(enc!.data!);
  data[20]! ^= 1;
  const k = new AesGcmPayloadCodec([key('k1')]);
  await t.throwsAsync(() => k.decode([{ ...enc!, data }]), { instanceOf: PayloadCodecError });
});

const UI = 'http://127.0.0.1:8233';
function codecConfig(keys: CodecKey[], auth?: string): CodecServerConfig {
  return {
    PAYLOAD_CODEC_KEYS: keys,
    CODEC_CORS_ORIGINS: [UI],
    CODEC_SERVER_AUTH: auth,
    CODEC_SERVER_HOST: '127.0.0.1',
    CODEC_SERVER_PORT: 0,
  };
}

const Payloads = temporal.api.common.v1.Payloads;
const toJson = (payloads: Payload[]) => Payloads.toObject(Payloads.create({ payloads }), { bytes: String });
const fromJson = (body: unknown): Payload[] =>
  Payloads.fromObject(body as object).payloads.map((p) => ({ metadata: p.metadata, data: p.data }));

test('codec server: /encode and /decode under any prefix, CORS for the UI only, authorization when configured', async (t) => {
  const server = await startCodecServer(codecConfig([key('k1')], 'Bearer codec-secret'));
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer codec-secret', ...headers },
      body: JSON.stringify(body),
    });
  try {
    const enc = await post('/default/encode', toJson([json({ callerIdNumber: '1001' })]), { 'x-namespace': 'default' });
    t.is(enc.status, 200);
    const encrypted = fromJson(await enc.json());
    t.is(text(encrypted[0]!.metadata!.encoding), ENCRYPTED_ENCODING);
    const dec = await post('/decode', toJson(encrypted));
    t.is(dec.status, 200);
    t.is(text(fromJson(await dec.json())[0]!.data), '{"callerIdNumber":"1001"}');

    // An empty list comes back as one (the UI reads `payloads`).
    t.deepEqual(await (await post('/decode', { payloads: [] })).json(), { payloads: [] });
    t.is((await post('/decode', toJson(encrypted), { authorization: 'Bearer wrong' })).status, 401);
    const bad = await post('/decode', { payloads: 'nope' });
    t.is(bad.status, 400);
    t.regex(((await bad.json()) as { error: string }).error, /expected \{"payloads"/);
    const foreign = await post(
      '/decode',
      toJson([
        {
          ...encrypted[0]!,
          metadata: { ...encrypted[0]!.metadata!, 'encryption-key-id': new TextEncoder().encode('k7') },
        },
      ]),
    );
    t.is(foreign.status, 422);

    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ok = await preflight(UI);
    t.is(ok.headers.get('access-control-allow-origin'), UI);
    t.regex(ok.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
    t.is(ok.headers.get('access-control-allow-credentials'), 'true');
    const other = await preflight('https://evil.example');
    t.is(other.headers.get('access-control-allow-origin'), null);
  } finally {
    await server.close();
  }
});

test('a recorded history (no codec) still replays with the codec configured', async (t) => {
  const dir = path.join(repoRoot, 'test', 'histories');
  const file = fs.readdirSync(dir).find((f) => f.includes('-callWorkflow-'))!;
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  const bundle = await workflowBundle();
  await t.notThrowsAsync(() =>
    Worker.runReplayHistory(
      { workflowBundle: bundle, dataConverter: dataConverter({ PAYLOAD_CODEC_KEYS: [key('k1')] }) },
      history,
      file,
    ),
  );
});

/** Every payload in a history (inputs, results, signals, updates, markers), wherever it sits. */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(node)) for (const n of node) payloadsOf(n, out);
  else if (node && typeof node === 'object' && !(node instanceof Uint8Array)) {
    const o = node as Record<string, unknown>;
    // A patch marker (patched()) carries the patch's ID, written by the SDK's core, which no codec sees: no caller data.
    if (o.markerName === 'core_patch') return out;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object)) out.push(o as Payload);
    else
      for (const [k, v] of Object.entries(o)) {
        // Search attributes are indexed by the server, never encoded by a codec: they carry no caller data.
        if (k !== 'searchAttributes') payloadsOf(v, out);
      }
  }
  return out;
}

async function callHistory(e: Engine): Promise<{ payloads: Payload[]; number: string }> {
  const { alice, bob } = await placeCall(e);
  await hangUp(e, alice.uuid);
  await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === bob.uuid);
  const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  await handle.result();
  return { payloads: payloadsOf(await handle.fetchHistory()), number: alice.number };
}

const itest = process.env.TEMPORAL_ADDRESS ? test.serial : test.serial.skip;

itest(
  'a call run with the codec leaves no caller number in clear in its history; it decodes through the endpoint',
  async (t) => {
    // Without the codec the caller's number is in the history in clear: what the codec must change.
    const plainEngine = await startEngine();
    try {
      const plain = await callHistory(plainEngine);
      t.true(
        plain.payloads.some((p) => text(p.data).includes(plain.number)),
        'without the codec the number is visible',
      );
    } finally {
      await plainEngine.stop();
    }

    const keys = [key('k2'), key('k1')];
    const keysEnv = keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
    const e = await startEngine({ PAYLOAD_CODEC_KEYS: keysEnv });
    const server = await startCodecServer(codecConfig(keys));
    try {
      const { payloads, number } = await callHistory(e);
      t.true(payloads.length > 3);
      for (const p of payloads) {
        t.is(text(p.metadata!.encoding), ENCRYPTED_ENCODING);
        t.is(text(p.metadata!['encryption-key-id']), 'k2');
        t.false(text(p.data).includes(number));
      }
      const res = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': e.config.TEMPORAL_NAMESPACE, origin: UI },
        body: JSON.stringify(toJson(payloads)),
      });
      t.is(res.status, 200);
      t.is(res.headers.get('access-control-allow-origin'), UI);
      const decoded = fromJson(await res.json());
      t.is(decoded.length, payloads.length);
      t.true(decoded.every((p) => text(p.metadata!.encoding) !== ENCRYPTED_ENCODING));
      t.true(
        decoded.some((p) => text(p.data).includes(number)),
        'the decoded history shows the number',
      );
    } finally {
      await server.close();
      await e.stop();
    }
  },
);
