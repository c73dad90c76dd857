// The Temporal connection settings (config/temporal.ts through loadConfig): a profile only when asked for, explicit
// variables win, and every wrong setting stops the process at start-up with the variable named. No server needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { makeTestPki, type TestPki } from '../support/certs.ts';

const test = anyTest as TestFn<{ pki: TestPki; home: string }>;

test.before((t) => {
  const pki = makeTestPki();
  // A developer's own ~/.config/temporalio/temporal.toml, pointing somewhere else with TLS and a key.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-home-'));
  fs.mkdirSync(path.join(home, '.config', 'temporalio'), { recursive: true });
  fs.writeFileSync(
    path.join(home, '.config', 'temporalio', 'temporal.toml'),
    [
      '[profile.default]',
      'address = "prod.example:7233"',
      'namespace = "prod"',
      'api_key = "developer-key"',
      '[profile.staging]',
      'address = "staging.example:7233"',
      'namespace = "staging"',
      '[profile.staging.tls]',
      `server_ca_cert_path = "${pki.ca}"`,
      `client_cert_path = "${pki.clientCert}"`,
      `client_key_path = "${pki.clientKey}"`,
    ].join('\n'),
  );
  t.context = { pki, home };
});

test.after.always((t) => {
  t.context.pki?.remove();
  if (t.context.home) fs.rmSync(t.context.home, { recursive: true, force: true });
});

const env = (t: { context: { home: string } }, vars: Record<string, string> = {}) =>
  loadConfig({ HOME: t.context.home, HANDOFF_DATA_DIR: t.context.home, ...vars });

const refused = (
  t: ExecutionContext<{ pki: TestPki; home: string }>,
  vars: Record<string, string>,
  message: RegExp,
) => {
  const err = t.throws(() => env(t, vars), { instanceOf: ConfigError });
  t.regex(err!.message, message);
};

test('without TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE the developer profile file is not read', (t) => {
  const c = env(t);
  t.is(c.TEMPORAL_ADDRESS, undefined);
  t.is(c.TEMPORAL_NAMESPACE, 'default');
  t.is(c.temporal.tls, undefined);
  t.is(c.temporal.apiKey, undefined);
  t.is(c.temporal.summary, '(dev server) namespace default, plain');
});

test('TEMPORAL_PROFILE reads the profile: address, namespace, mTLS files checked and loaded', (t) => {
  const c = env(t, { TEMPORAL_PROFILE: 'staging' });
  t.is(c.TEMPORAL_ADDRESS, 'staging.example:7233');
  t.is(c.TEMPORAL_NAMESPACE, 'staging');
  const tls = c.temporal.tls as { clientCertPair?: { crt: Buffer }; serverRootCACertificate?: Buffer };
  t.deepEqual(tls.clientCertPair?.crt, t.context.pki.read(t.context.pki.clientCert));
  t.deepEqual(tls.serverRootCACertificate, t.context.pki.read(t.context.pki.ca));
  t.is(c.temporal.summary, 'staging.example:7233 namespace staging, mTLS, profile staging');
});

test('explicit TEMPORAL_* variables win over the profile, field by field', (t) => {
  const c = env(t, { TEMPORAL_PROFILE: 'default', TEMPORAL_ADDRESS: '10.0.0.9:7233', TEMPORAL_NAMESPACE: 'calls' });
  t.is(c.TEMPORAL_ADDRESS, '10.0.0.9:7233');
  t.is(c.TEMPORAL_NAMESPACE, 'calls');
  t.is(c.temporal.apiKey, 'developer-key');
  t.is(c.temporal.tls, true, 'an API key implies TLS');
});

test('TEMPORAL_GRPC_META_* headers are passed on', (t) => {
  const c = env(t, { TEMPORAL_ADDRESS: 'h:1', TEMPORAL_GRPC_META_X_TENANT: 'kazoo' });
  t.deepEqual(c.temporal.metadata, { 'x-tenant': 'kazoo' });
});

test('wrong settings stop the process, naming the variable', (t) => {
  const { pki } = t.context;
  const addr = { TEMPORAL_ADDRESS: 'temporal.example:7233' };
  refused(t, { TEMPORAL_PROFILE: 'nope' }, /TEMPORAL_PROFILE.*Profile 'nope' not found/);
  refused(t, { TEMPORAL_CONFIG_FILE: '/nonexistent.toml' }, /TEMPORAL_CONFIG_FILE: \/nonexistent.toml does not exist/);
  refused(t, { TEMPORAL_ADDRESS: 'no-port' }, /TEMPORAL_ADDRESS: host:port/);
  refused(t, { ...addr, TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS: /);
  refused(t, { ...addr, TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert }, /TEMPORAL_TLS_CLIENT_KEY_PATH.*needs its key/);
  refused(
    t,
    { ...addr, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey },
    /TEMPORAL_TLS_CLIENT_CERT_PATH.*needs its certificate/,
  );
  refused(
    t,
    { ...addr, TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.rogueClientKey },
    /TEMPORAL_TLS_CLIENT_KEY: the key does not belong to the client certificate \(CN=client\)/,
  );
  refused(
    t,
    { ...addr, TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(pki.dir, 'missing.pem') },
    /TEMPORAL_TLS_SERVER_CA_CERT \(server CA\): cannot read .*missing.pem \(ENOENT\)/,
  );
  refused(t, { ...addr, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.clientKey }, /server CA\): not a PEM certificate/);
  refused(t, { ...addr, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }, /API key is never sent in clear/);
  refused(t, { TEMPORAL_API_KEY: 'k' }, /TEMPORAL_ADDRESS: TLS or an API key is configured but no address/);
  refused(t, { ...addr, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }, /not supported .* TEMPORAL_TLS_SERVER_NAME/);
  const strict = path.join(pki.dir, 'typo.toml');
  fs.writeFileSync(strict, '[profile.default]\naddress = "h:1"\napi_kye = "x"\n');
  refused(t, { TEMPORAL_CONFIG_FILE: strict }, /unrecognized in profile.default: api_kye/);
});

test('payload codec keys: id:base64 of 32 bytes, unique ids', (t) => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const c = env(t, { PAYLOAD_CODEC_KEYS: `k2:${key}, k1:${Buffer.alloc(32, 1).toString('base64')}` });
  t.deepEqual(
    c.PAYLOAD_CODEC_KEYS.map((k) => k.id),
    ['k2', 'k1'],
  );
  refused(
    t,
    { PAYLOAD_CODEC_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` },
    /PAYLOAD_CODEC_KEYS: key k1: 16 bytes/,
  );
  refused(t, { PAYLOAD_CODEC_KEYS: `k1:${key},k1:${key}` }, /PAYLOAD_CODEC_KEYS: key ids must be unique/);
  refused(t, { PAYLOAD_CODEC_KEYS: 'just-a-secret' }, /PAYLOAD_CODEC_KEYS: expected id:BASE64KEY/);
  refused(t, { CODEC_CORS_ORIGINS: 'not a url' }, /CODEC_CORS_ORIGINS/);
});
