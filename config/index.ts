// Configuration from environment variables, validated once at start-up. A bad value stops the process with a
// message naming the variable and what was expected.
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DTMF_PATTERN } from '../contracts/grammar.ts';
import { resolveTemporalSettings, TemporalSettingsError, type TemporalSettings } from './temporal.ts';

/** The repository's root, whether this runs from source or compiled into dist/. */
export const repoRoot = ((): string => {
  let dir = import.meta.dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

const nodeSpec = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]+=esl:\/\/(:[^@]*@)?[^:/@]+:\d+$/,
    'a comma-separated list of name=esl://:PASSWORD@HOST:PORT (e.g. fs1=esl://:ClueCon@10.0.0.5:8021)',
  );

export interface FreeswitchNode {
  name: string;
  host: string;
  port: number;
  password: string;
}

export function parseNodes(value: string): FreeswitchNode[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      nodeSpec.parse(spec);
      const [name, url] = spec.split(/=(.*)/s) as [string, string];
      const u = new URL(url);
      return { name, host: u.hostname, port: Number(u.port), password: decodeURIComponent(u.password || 'ClueCon') };
    });
}

/** `10.0.0.5`, `10.0.0.0/8`, `fd00::1`, `fd00::/8`: what API_TRUSTED_PROXIES lists. */
export function isAddressOrSubnet(value: string): boolean {
  const [address = '', bits, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** The items of a comma-separated setting, trimmed, empty ones dropped. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `https://app.example.com`, `http://localhost:3000`: a browser origin, as the Origin header carries it. */
export function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value;
  } catch {
    return false;
  }
}

/** A payload codec key: AES-256, named so that payloads say which key encrypted them. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

export function parseCodecKeys(value: string): CodecKey[] {
  const keys = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      const m = /^([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9+/]+={0,2})$/.exec(spec);
      if (!m) throw new Error(`expected id:BASE64KEY, got ${spec.split(':')[0]}:…`);
      const key = Buffer.from(m[2]!, 'base64');
      if (key.length !== 32) throw new Error(`key ${m[1]}: ${key.length} bytes, expected 32 (openssl rand -base64 32)`);
      return { id: m[1]!, key };
    });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();

const optionalPath = z.string().min(1).optional();

const schema = z.object({
  // Temporal connection: read through @temporalio/envconfig in ./temporal.ts (profiles and these variables); the
  // resolved address and namespace replace these two fields, so `config.TEMPORAL_ADDRESS` is the profile's address
  // when the variable is unset.
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_CONFIG_FILE: optionalPath,
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalPath,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalPath,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalPath,
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** The shared task queue of call and transfer workflows. */
  WORKFLOW_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('handoff'),
  TEMPORAL_CLI: z.string().optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  HANDOFF_DATA_DIR: z.string().default(path.join(repoRoot, 'data')),
  HANDOFF_DB: z.string().optional(),
  FREESWITCH_NODES: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseNodes(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected name=esl://:PASSWORD@HOST:PORT[,name=...]' });
        return z.NEVER;
      }
    }),
  SIMULATOR_PORT: port.default(8021),
  SIMULATOR_PASSWORD: z.string().min(1).default('ClueCon'),
  API_PORT: port.default(8000),
  API_HOST: z.string().default('127.0.0.1'),
  API_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65536),
  /**
   * Load balancers and proxies in front of the API (IP addresses or CIDR subnets, comma-separated): from these only,
   * X-Forwarded-For names the client. Without it every client behind a proxy would count as the proxy.
   */
  API_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const list = commaList(v);
      const bad = list.filter((s) => !isAddressOrSubnet(s));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR subnet: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return list;
    }),
  /**
   * The browser origins allowed to call the API (CORS), comma-separated `scheme://host[:port]`, or `*` for any origin
   * (Kazoo's default: its answers carry no cookies, the token travels in a header).
   */
  API_CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((v, ctx) => {
      const list = commaList(v);
      if (list.length === 0 || (list.length === 1 && list[0] === '*')) return '*' as const;
      const bad = list.filter((s) => !isOrigin(s));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `not an origin (scheme://host[:port]) or *: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return list;
    }),
  /**
   * Failed `PUT /v2/api_auth` attempts a client (an IPv4 address, an IPv6 /64) may make in a window of
   * API_AUTH_WINDOW_S; past that, every attempt of the client is 429 until the window ends (never more than 60 s).
   */
  API_AUTH_MAX_FAILURES: z.coerce.number().int().min(1).max(10_000).default(20),
  API_AUTH_WINDOW_S: z.coerce.number().int().min(1).max(60).default(60),
  /** Deepest JSON nesting a request body may have (the body's own object is level 1): deeper is a 400. */
  API_MAX_JSON_DEPTH: z.coerce.number().int().min(2).max(256).default(32),
  /** How long the API waits for a workflow to answer an update or query. */
  API_ENGINE_TIMEOUT_MS: positiveMs.default(10000),
  /** The envelope's `node`; the host name when unset. */
  API_NODE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  HANDOFF_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** Most ancestors an account may have (a top-level account has none): one tenant cannot grow a chain without end. */
  ACCOUNT_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(16),
  /** Most children one account may have. */
  ACCOUNT_MAX_CHILDREN: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  TOKEN_TTL_S: z.coerce.number().int().positive().default(3600),
  ACCOUNT_ID_VARIABLE: z.string().min(1).default('ecallmgr_Account-ID'),
  AUTHORIZING_ID_VARIABLE: z.string().min(1).default('ecallmgr_Authorizing-ID'),
  OWNER_ID_VARIABLE: z.string().min(1).default('ecallmgr_Owner-ID'),
  DEFAULT_ACCOUNT_ID: z.string().optional(),
  /**
   * Channel variables copied to the target leg, so the switch routes and bills it as the account's: from the transferor,
   * or from the peer's leg when a peer's metaflow (listen_on peer) started the transfer.
   */
  ACCOUNT_VARIABLES: z
    .string()
    .default(
      'ecallmgr_Account-ID,ecallmgr_Authorizing-Type,ecallmgr_Authorizing-ID,ecallmgr_Channel-Authorized,ecallmgr_Realm',
    )
    .transform(commaList),
  TRANSFER_DIAL_TEMPLATE: z
    .string()
    .regex(/\{target\}/, 'must contain {target}')
    .default('loopback/{target}/{context}'),
  TRANSFER_CONTEXT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('default'),
  TARGET_RING_TIMEOUT_S: z.coerce.number().int().min(1).max(600).default(20),
  /**
   * A partial transfer whose target fails (busy, no answer, hangs up) has nobody to give the transferee back to:
   * `hangup` releases the transferee with the target's cause (Kazoo's behaviour); `recall` calls the transferor back
   * (Asterisk's atxferdropcall=no) and connects them to the transferee, releasing the transferee only if that fails too.
   */
  PARTIAL_FAILURE: z.enum(['hangup', 'recall']).default('hangup'),
  /** Recall attempts (Asterisk's atxfercallbackretries), the pause between them, and how long each rings. */
  RECALL_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  RECALL_DELAY_MS: positiveMs.default(10000),
  RECALL_RING_TIMEOUT_S: z.coerce.number().int().min(1).max(600).default(20),
  /** Channel variable with the number that reaches the transferor; else its own caller ID (inbound) or dialled number. */
  RECALL_NUMBER_VARIABLE: z.string().min(1).default('handoff_recall_number'),
  DIGIT_TIMEOUT_MS: positiveMs.default(800),
  /**
   * Feature-code limits, so that no tenant's metaflows can stall the engine (contracts/patterns.ts): digits collected
   * after the binding digit (one more ends the collection as no match; also the longest `numbers` key), the longest
   * `patterns` key, the largest compiled pattern (RE2 program instructions: beyond it a pattern is stored but not
   * run), and the most `patterns` keys in one document.
   */
  FEATURE_CODE_MAX_DIGITS: z.coerce.number().int().min(1).max(256).default(32),
  FEATURE_CODE_PATTERN_MAX_LENGTH: z.coerce.number().int().min(1).max(1024).default(128),
  FEATURE_CODE_PATTERN_MAX_PROGRAM: z.coerce.number().int().min(10).max(100_000).default(1000),
  FEATURE_CODE_MAX_PATTERNS: z.coerce.number().int().min(1).max(1000).default(32),
  BRIDGE_CONFIRM_TIMEOUT_MS: positiveMs.default(3000),
  DEFAULT_MOH: z.string().default('local_stream://moh'),
  DEFAULT_RINGBACK: z.string().default('%(2000,4000,440,480)'),
  DEFAULT_TAKEBACK_DTMF: z.string().regex(DTMF_PATTERN).default('*1'),
  STICKY_SCHEDULE_TO_START_MS: positiveMs.default(1500),
  /**
   * A workflow bundle built ahead of time (`npm run bundle:workflows -- FILE`): the workflow workers load it instead of
   * running webpack at start, so a restarted one polls within seconds. It must be built from the same code.
   */
  WORKFLOW_BUNDLE: z
    .string()
    .refine((file) => fs.existsSync(file), 'no such file (build it with npm run bundle:workflows -- FILE)')
    .optional(),
  /**
   * How often each node's ingest looks for transfers ended by hand (terminated in the UI, say) whose callers still
   * wait on hold, and resumes them from the switch's state; it also looks on every reconnect. 0: only on reconnect.
   */
  TRANSFER_SWEEP_MS: z.coerce.number().int().min(0).default(15000),
  SHUTDOWN_GRACE_MS: positiveMs.default(10000),
  /**
   * Payload encryption (caller numbers and names in histories): `id:base64(32 bytes)[,id:base64...]`; the first key
   * encrypts, every one decrypts (rotation). Empty: payloads are plain JSON.
   */
  PAYLOAD_CODEC_KEYS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseCodecKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** The codec server (the Temporal UI's remote codec endpoint and `temporal --codec-endpoint`). */
  CODEC_SERVER_HOST: z.string().default('127.0.0.1'),
  CODEC_SERVER_PORT: port.default(9233),
  /** Browser origins allowed to call the codec server: the Temporal UI's (the dev server's UI by default). */
  CODEC_CORS_ORIGINS: z
    .string()
    .default('http://127.0.0.1:8233,http://localhost:8233')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  /** When set, the codec server answers only requests whose Authorization header is exactly this value. */
  CODEC_SERVER_AUTH: z.string().min(8).optional(),
});

export type Config = z.infer<typeof schema> & {
  TEMPORAL_NAMESPACE: string;
  /** How to reach Temporal (TLS, API key, headers), resolved from the profile and the TEMPORAL_* variables. */
  temporal: TemporalSettings;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  let temporal: TemporalSettings;
  try {
    temporal = resolveTemporalSettings(env);
  } catch (err) {
    if (err instanceof TemporalSettingsError) throw new ConfigError(`invalid configuration:\n  ${err.message}`);
    throw err;
  }
  return { ...result.data, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, temporal };
}

export function dbPath(config: Pick<Config, 'HANDOFF_DB' | 'HANDOFF_DATA_DIR'>): string {
  return config.HANDOFF_DB ?? path.join(config.HANDOFF_DATA_DIR, 'handoff.sqlite');
}
