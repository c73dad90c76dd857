// Configuration from environment variables, validated once at start-up. A bad value stops the process with a
// message naming the variable and what was expected.
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

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

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();

const schema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:]+:\d+$/, 'host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
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
      const list = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((s) => !isAddressOrSubnet(s));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR subnet: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return list;
    }),
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
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
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
   * Feature-code limits, so that no tenant's metaflows can stall the engine (workflows/patterns.ts): digits collected
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
  DEFAULT_TAKEBACK_DTMF: z
    .string()
    .regex(/^[0-9*#]{1,8}$/)
    .default('*1'),
  STICKY_SCHEDULE_TO_START_MS: positiveMs.default(1500),
  /**
   * How often each node's ingest looks for transfers ended by hand (terminated in the UI, say) whose callers still
   * wait on hold, and resumes them from the switch's state; it also looks on every reconnect. 0: only on reconnect.
   */
  TRANSFER_SWEEP_MS: z.coerce.number().int().min(0).default(15000),
  SHUTDOWN_GRACE_MS: positiveMs.default(10000),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function dbPath(config: Config): string {
  return config.HANDOFF_DB ?? path.join(config.HANDOFF_DATA_DIR, 'handoff.sqlite');
}
