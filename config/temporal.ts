// Where and how to reach Temporal: address, namespace, TLS (server CA, mTLS client certificate and key), API key and
// extra gRPC headers, read the ecosystem's way by @temporalio/envconfig (its TOML profiles and TEMPORAL_* variables)
// and checked here, at start-up, so a wrong path or a certificate that does not match its key stops the process
// before it dials anything.
//
// A profile file is read only when asked for (TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE is set): a developer's
// ~/.config/temporalio/temporal.toml must not turn `npm start` or `npm test` towards another cluster. TEMPORAL_*
// variables override the profile's values field by field, so an explicit TEMPORAL_ADDRESS wins.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

/** TLS as the SDK's connections take it (client and worker alike). */
export interface TemporalTls {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface TemporalSettings {
  /** host:port of the frontend; undefined when nothing names one (`npm start` and the test runner start a dev server). */
  address?: string;
  namespace: string;
  /** Sent as `authorization: Bearer <key>` (Temporal Cloud API keys); implies TLS. */
  apiKey?: string;
  /** undefined or false: plain TCP. true: TLS with the system's roots. */
  tls?: TemporalTls | boolean;
  /** Extra gRPC headers (TEMPORAL_GRPC_META_<NAME>, or the profile's grpc_meta). */
  metadata?: Record<string, string>;
  /** The profile read, when one was. */
  profile?: string;
  /** One line for logs: address, namespace and what protects the connection, never a secret. */
  summary: string;
}

/**
 * Variables that point a process at a Temporal cluster. A runner that starts a dev server of its own (the test runner)
 * removes them from its children's environment, so they reach that server rather than the cluster they name.
 */
export function isTemporalConnectionVariable(name: string): boolean {
  return (
    /^TEMPORAL_(ADDRESS|NAMESPACE|API_KEY|PROFILE|CONFIG_FILE|TLS)$/.test(name) ||
    name.startsWith('TEMPORAL_TLS_') ||
    name.startsWith('TEMPORAL_GRPC_META_')
  );
}

export class TemporalSettingsError extends Error {}

const BOOL = /^(1|0|true|false)$/;

function dataOf(source: ConfigDataSource, what: string): Buffer {
  if ('data' in source) return Buffer.from(source.data);
  try {
    return fs.readFileSync(source.path);
  } catch (err) {
    throw new TemporalSettingsError(`${what}: cannot read ${source.path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

function certificate(source: ConfigDataSource, what: string): { pem: Buffer; cert: crypto.X509Certificate } {
  const pem = dataOf(source, what);
  try {
    return { pem, cert: new crypto.X509Certificate(pem) };
  } catch (err) {
    throw new TemporalSettingsError(`${what}: not a PEM certificate (${(err as Error).message})`);
  }
}

function tlsOf(profile: ClientConfigProfile): TemporalTls | boolean | undefined {
  const t = profile.tls;
  if (!t) return profile.apiKey !== undefined ? true : undefined;
  if (t.disabled) {
    if (profile.apiKey !== undefined)
      throw new TemporalSettingsError(
        'TEMPORAL_API_KEY: an API key is never sent in clear; TLS is disabled (TEMPORAL_TLS or the profile)',
      );
    return false;
  }
  const tls: TemporalTls = {};
  if (t.serverName) tls.serverNameOverride = t.serverName;
  if (t.serverCACert) {
    tls.serverRootCACertificate = certificate(t.serverCACert, 'TEMPORAL_TLS_SERVER_CA_CERT (server CA)').pem;
  }
  if (!!t.clientCert !== !!t.clientKey) {
    throw new TemporalSettingsError(
      t.clientCert
        ? 'TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA): a client certificate needs its key'
        : 'TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA): a client key needs its certificate',
    );
  }
  if (t.clientCert && t.clientKey) {
    const { pem: crt, cert } = certificate(t.clientCert, 'TEMPORAL_TLS_CLIENT_CERT (client certificate)');
    const key = dataOf(t.clientKey, 'TEMPORAL_TLS_CLIENT_KEY (client key)');
    let privateKey: crypto.KeyObject;
    try {
      privateKey = crypto.createPrivateKey(key);
    } catch (err) {
      throw new TemporalSettingsError(`TEMPORAL_TLS_CLIENT_KEY: not a PEM private key (${(err as Error).message})`);
    }
    if (!cert.checkPrivateKey(privateKey)) {
      throw new TemporalSettingsError(
        `TEMPORAL_TLS_CLIENT_KEY: the key does not belong to the client certificate (${cert.subject.replace(/\n/g, ', ')})`,
      );
    }
    if (Date.parse(cert.validTo) < Date.now()) {
      throw new TemporalSettingsError(`TEMPORAL_TLS_CLIENT_CERT: the client certificate expired on ${cert.validTo}`);
    }
    tls.clientCertPair = { crt, key };
  }
  return tls;
}

/**
 * Reads the Temporal connection settings from the environment (and the profile it asks for). Throws
 * TemporalSettingsError naming the variable at fault.
 */
export function resolveTemporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  for (const name of ['TEMPORAL_TLS']) {
    if (vars[name] !== undefined && !BOOL.test(vars[name])) {
      throw new TemporalSettingsError(`${name}: expected true, false, 1 or 0`);
    }
  }
  // @temporalio/envconfig 1.24 reads this variable but drops it: refuse it rather than ignore it silently.
  if (vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION !== undefined) {
    throw new TemporalSettingsError(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported by the Temporal SDK in use; set TEMPORAL_TLS_SERVER_NAME to the name the server certificate carries',
    );
  }
  for (const [file, data] of [
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'],
    ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA'],
    ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'],
  ] as const) {
    if (vars[file] !== undefined && vars[data] !== undefined) {
      throw new TemporalSettingsError(`${file}, ${data}: set one of them, not both`);
    }
  }
  const useFile = vars.TEMPORAL_PROFILE !== undefined || vars.TEMPORAL_CONFIG_FILE !== undefined;
  if (vars.TEMPORAL_CONFIG_FILE !== undefined && !fs.existsSync(vars.TEMPORAL_CONFIG_FILE)) {
    throw new TemporalSettingsError(`TEMPORAL_CONFIG_FILE: ${vars.TEMPORAL_CONFIG_FILE} does not exist`);
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ disableFile: !useFile, configFileStrict: true, overrideEnvVars: vars });
  } catch (err) {
    const where = vars.TEMPORAL_CONFIG_FILE ?? '~/.config/temporalio/temporal.toml';
    throw new TemporalSettingsError(`TEMPORAL_PROFILE/TEMPORAL_CONFIG_FILE (${where}): ${(err as Error).message}`);
  }
  if (profile.address !== undefined && !/^[^:\s]+:\d+$/.test(profile.address)) {
    throw new TemporalSettingsError(
      `TEMPORAL_ADDRESS (or the profile's address): expected host:port, got ${profile.address}`,
    );
  }
  if (profile.namespace !== undefined && !profile.namespace) {
    throw new TemporalSettingsError('TEMPORAL_NAMESPACE: empty');
  }
  if (profile.apiKey !== undefined && !profile.apiKey) throw new TemporalSettingsError('TEMPORAL_API_KEY: empty');
  const tls = tlsOf(profile);
  if ((tls || profile.apiKey) && profile.address === undefined) {
    throw new TemporalSettingsError(
      'TEMPORAL_ADDRESS: TLS or an API key is configured but no address (the dev server that would be started has neither)',
    );
  }
  const namespace = profile.namespace ?? 'default';
  const protection = [
    tls ? (typeof tls === 'object' && tls.clientCertPair ? 'mTLS' : 'TLS') : 'plain',
    ...(profile.apiKey ? ['API key'] : []),
  ].join(' + ');
  const profileName = useFile ? (vars.TEMPORAL_PROFILE ?? 'default') : undefined;
  return {
    address: profile.address,
    namespace,
    apiKey: profile.apiKey,
    tls,
    metadata: profile.grpcMeta,
    profile: profileName,
    summary: `${profile.address ?? '(dev server)'} namespace ${namespace}, ${protection}${profileName ? `, profile ${profileName}` : ''}`,
  };
}
