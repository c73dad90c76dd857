// TLS, mutual TLS and the API key end to end: the engine reaches the suite's dev server through a TLS proxy that
// requires a client certificate from its CA and the API key (test/support/tls-proxy.ts), configured only by the
// TEMPORAL_* variables or a TOML profile (@temporalio/envconfig). The right settings run a call; each wrong one is
// refused with an error that says where and what to check.
import fs from 'node:fs';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { loadConfig } from '../../config/index.ts';
import { connectClient, connectNative, TemporalConnectError } from '../../temporal/connection.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { makeTestPki, type TestPki } from '../support/certs.ts';
import { hangUp, placeCall, startEngine, waitFor } from '../support/engine.ts';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy.ts';

const API_KEY = 'handoff-test-api-key-0123456789';
const upstream = process.env.TEMPORAL_ADDRESS;
const test = anyTest as TestFn<{ pki: TestPki; proxy: TlsProxy }>;
const itest = upstream ? test.serial : test.serial.skip;

test.before(async (t) => {
  if (!upstream) return;
  const pki = makeTestPki();
  const proxy = await startTlsProxy({
    upstream,
    key: pki.read(pki.serverKey),
    cert: pki.read(pki.serverCert),
    clientCa: pki.read(pki.ca),
    apiKey: API_KEY,
  });
  t.context = { pki, proxy };
});

test.after.always(async (t) => {
  await t.context.proxy?.close();
  t.context.pki?.remove();
});

/** The variables of a correct mTLS + API key configuration. */
function rightEnv(t: { context: { pki: TestPki; proxy: TlsProxy } }): Record<string, string> {
  const { pki, proxy } = t.context;
  return {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
    TEMPORAL_API_KEY: API_KEY,
  };
}

/** Only the variables given: none of the suite's or the shell's TEMPORAL_* settings. */
const configOf = (env: Record<string, string>) =>
  loadConfig({
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_'))),
    ...env,
  });

itest('the right CA, client certificate and API key run a call end to end through the TLS proxy', async (t) => {
  const relayedBefore = t.context.proxy.relayed;
  const e = await startEngine(rightEnv(t));
  try {
    t.is(e.config.temporal.summary, `${t.context.proxy.address} namespace default, mTLS + API key`);
    const { alice, bob } = await placeCall(e);
    await hangUp(e, alice.uuid);
    await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === bob.uuid);
    const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
    await handle.result();
    t.is((await handle.describe()).status.name, 'COMPLETED');
  } finally {
    await e.stop();
  }
  t.true(t.context.proxy.relayed > relayedBefore, 'the calls went through the proxy');
});

itest(
  'a TOML profile asked for by TEMPORAL_PROFILE connects; an explicit TEMPORAL_ADDRESS wins over its address',
  async (t) => {
    const { pki, proxy } = t.context;
    const file = path.join(pki.dir, 'temporal.toml');
    fs.writeFileSync(
      file,
      [
        '[profile.handoff]',
        `address = "${proxy.address}"`,
        'namespace = "default"',
        `api_key = "${API_KEY}"`,
        '[profile.handoff.tls]',
        `server_ca_cert_path = "${pki.ca}"`,
        `client_cert_path = "${pki.clientCert}"`,
        `client_key_path = "${pki.clientKey}"`,
        '[profile.stale]',
        'address = "127.0.0.1:1"',
        `api_key = "${API_KEY}"`,
        '[profile.stale.tls]',
        `server_ca_cert_path = "${pki.ca}"`,
        `client_cert_path = "${pki.clientCert}"`,
        `client_key_path = "${pki.clientKey}"`,
      ].join('\n'),
    );
    const viaProfile = configOf({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'handoff' });
    t.is(viaProfile.TEMPORAL_ADDRESS, proxy.address);
    const { client, connection } = await connectClient(viaProfile);
    try {
      t.truthy((await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo);
    } finally {
      await connection.close();
    }
    const overridden = configOf({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'stale',
      TEMPORAL_ADDRESS: proxy.address,
    });
    t.is(overridden.TEMPORAL_ADDRESS, proxy.address);
    const native = await connectNative(overridden);
    await native.close();
    t.pass();
  },
);

/** Each wrong setting, and what the refusal must say. */
const wrong: [string, (env: Record<string, string>, pki: TestPki) => Record<string, string>, RegExp][] = [
  [
    'no TLS at all',
    (env) => ({ TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS! }),
    /cannot reach Temporal at localhost:\d+ \(namespace default, plain\).*does it want TLS/s,
  ],
  [
    'a server CA that did not sign the server certificate',
    (env, pki) => ({ ...env, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.rogueCa }),
    /cannot reach Temporal at localhost:\d+ .*mTLS \+ API key.*TLS: self-signed certificate in certificate chain;.*TEMPORAL_TLS_SERVER_CA_CERT_PATH/s,
  ],
  [
    'no client certificate',
    (env) => ({
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS!,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH!,
      TEMPORAL_API_KEY: API_KEY,
    }),
    /cannot reach Temporal at localhost:\d+ \(namespace default, TLS \+ API key\).*TLS: tlsv13 alert certificate required;.*TEMPORAL_TLS_CLIENT_CERT_PATH/s,
  ],
  [
    'a client certificate from another CA',
    (env, pki) => ({
      ...env,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.rogueClientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.rogueClientKey,
    }),
    /cannot reach Temporal at localhost:\d+ .*mTLS \+ API key.*TLS: .*(unknown ca|refused the client certificate).*TEMPORAL_TLS_CLIENT_CERT_PATH/s,
  ],
  [
    'a wrong API key',
    (env) => ({ ...env, TEMPORAL_API_KEY: 'not-the-key' }),
    /cannot reach Temporal at localhost:\d+ .*invalid API key/s,
  ],
  [
    'no API key',
    (env) => {
      const { TEMPORAL_API_KEY: _drop, ...rest } = env;
      return rest;
    },
    /cannot reach Temporal at localhost:\d+ \(namespace default, mTLS\).*API key required/s,
  ],
];

for (const [what, make, message] of wrong) {
  itest(`refused: ${what} (client and worker connections)`, async (t) => {
    const refusalsBefore = t.context.proxy.refusals.length;
    const config = configOf(make(rightEnv(t), t.context.pki));
    const client = await t.throwsAsync(() => connectClient(config, { connectTimeoutMs: 3000 }), {
      instanceOf: TemporalConnectError,
    });
    t.regex(client!.message, message);
    const worker = await t.throwsAsync(() => connectNative(config), { instanceOf: TemporalConnectError });
    t.regex(worker!.message, /cannot reach Temporal at localhost:\d+/);
    if (what !== 'a server CA that did not sign the server certificate' && what !== 'no TLS at all') {
      t.true(t.context.proxy.refusals.length > refusalsBefore, 'the proxy refused it');
    }
  });
}
