// Configuration from environment variables, validated once at start-up. A bad value stops the process with a
// message naming the variable and what was expected.
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DTMF_PATTERN } from '../contracts/grammar.ts';
import {
  DEFAULT_ESL_COMMAND_CONNECTIONS,
  DEFAULT_WORKFLOW_DEADLOCK_TIMEOUT_MS,
  DEFAULT_WORKFLOW_TASK_SLOTS,
  DEFAULT_WORKFLOW_TASK_SLOTS_CPU,
  DEFAULT_WORKFLOW_TASK_SLOTS_MAX,
} from '../contracts/ids.ts';
import { DEFAULT_MEDIA_URL_TEMPLATE, mediaTemplateProblem } from '../contracts/media.ts';
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

/** A yes/no variable: `true`/`1` or `false`/`0`, read as a boolean. */
const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback)
    .transform((v) => v === 'true' || v === '1');

// Every variable, with what the README's configuration table says of it: its description (`.describe()`, or
// `.meta({ description, shownDefault })` where the default is computed or the README must say more than the value).
// `npm run docs:config` writes the table from here, and test/config/readme-table.test.ts fails when it is not current
// or a variable has no description: adding a variable with its description is all a change needs.
const schema = z.object({
  // Temporal connection: read through @temporalio/envconfig in ./temporal.ts (profiles and these variables); the
  // resolved address and namespace replace these two fields, so `config.TEMPORAL_ADDRESS` is the profile's address
  // when the variable is unset.
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'host:port')
    .optional()
    .meta({
      description:
        "use this Temporal server (host:port) instead of starting the dev server; wins over a profile's address",
      shownDefault: "— (the profile's, if one is asked for)",
    }),
  TEMPORAL_NAMESPACE: z
    .string()
    .min(1)
    .default('default')
    .meta({ description: "wins over a profile's namespace", shownDefault: "`default` (or the profile's)" }),
  TEMPORAL_PROFILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'read the connection from this TOML profile of `@temporalio/envconfig` (else `default`, when ' +
        '`TEMPORAL_CONFIG_FILE` is set). Without either no profile file is read, so a developer’s own file never ' +
        'redirects `npm start` or `npm test`',
    ),
  TEMPORAL_CONFIG_FILE: optionalPath.describe(
    'the profile file (else `~/.config/temporalio/temporal.toml`, when `TEMPORAL_PROFILE` is set)',
  ),
  TEMPORAL_API_KEY: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Temporal Cloud API key, sent as `authorization: Bearer …`; implies TLS (refused with `TEMPORAL_TLS=false`)',
    ),
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('`true`/`1` or `false`/`0`: TLS on or off (on when a CA, client certificate or API key is set)'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalPath.meta({
    description: "CA of the server's certificate (or `TEMPORAL_TLS_SERVER_CA_CERT_DATA`, the PEM itself)",
    shownDefault: '— (system roots)',
  }),
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalPath.describe(
    'mTLS client certificate (or `_DATA`); with its key or not at all, checked to match it at start-up',
  ),
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalPath.describe('the mTLS client certificate’s key (or `_DATA`)'),
  TEMPORAL_TLS_SERVER_NAME: z
    .string()
    .min(1)
    .optional()
    .describe("server name to verify instead of the address's host"),
  WORKFLOW_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('handoff')
    .describe('the task queue of call and transfer workflows'),
  TEMPORAL_CLI: z.string().optional().describe('path of a `temporal` CLI to use (the dev server)'),
  TEMPORAL_PORT: port.default(7233).describe("the dev server's gRPC port"),
  TEMPORAL_UI_PORT: port.default(8233).describe("the dev server's Web UI port"),
  HANDOFF_DATA_DIR: z
    .string()
    .default(path.join(repoRoot, 'data'))
    .meta({ description: 'where the store, the JWT secret and logs are kept', shownDefault: '`./data`' }),
  HANDOFF_DB: z.string().optional().meta({ description: 'the SQLite store', shownDefault: '`data/handoff.sqlite`' }),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'postgres://USER:PASSWORD@HOST:PORT/DATABASE')
    .refine((v) => URL.canParse(v), 'not a URL')
    .optional()
    .meta({
      description:
        'the shared store: `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (libpq parameters such as ' +
        '`sslmode=verify-full&sslrootcert=…` may follow). Every process of a cluster names the same database; the ' +
        'first to start applies the migrations',
      shownDefault: '— (the SQLite file)',
    }),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('most PostgreSQL connections one process holds'),
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
    })
    .meta({
      description: '`name=esl://:PASSWORD@HOST:PORT,...`; when empty, `npm start` runs the simulator',
      shownDefault: '— (simulator)',
    }),
  SIMULATOR_PORT: port.default(8021).describe("the simulator's ESL port"),
  SIMULATOR_PASSWORD: z.string().min(1).default('ClueCon').describe("the simulator's ESL password"),
  API_PORT: port.default(8000).describe("the API's port"),
  API_HOST: z.string().default('127.0.0.1').describe('the address the API listens on'),
  API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10_485_760)
    .default(65536)
    .describe('largest request body (413 beyond)'),
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
    })
    .describe(
      'load balancers in front of the API (IP addresses or CIDR subnets, comma-separated): only from these is ' +
        '`X-Forwarded-For` read to name the client (without it every client behind a proxy would count as the proxy)',
    ),
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
    })
    .describe(
      'the browser origins allowed to call the API (CORS), comma-separated `scheme://host[:port]`, or `*` for any ' +
        "origin (Kazoo's default: its answers carry no cookies, the token travels in a header)",
    ),
  API_AUTH_MAX_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(20)
    .describe(
      'failed `PUT /v2/api_auth` per client (an IPv4 address, an IPv6 /64) per `API_AUTH_WINDOW_S` before every ' +
        'attempt of the client is 429 until the window ends',
    ),
  API_AUTH_WINDOW_S: z.coerce.number().int().min(1).max(60).default(60).describe('that window, 1–60 s'),
  API_MAX_JSON_DEPTH: z.coerce
    .number()
    .int()
    .min(2)
    .max(256)
    .default(32)
    .describe('deepest JSON nesting, the body’s own object counting as 1 (400 naming the field beyond)'),
  API_ENGINE_TIMEOUT_MS: positiveMs
    .default(10000)
    .describe('how long the API waits for a workflow to answer an update or query (503 beyond)'),
  API_NODE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional()
    .meta({
      description: "the envelope's `node`: it names the API process without exposing the host",
      shownDefault: 'a hash of the host name',
    }),
  HANDOFF_JWT_SECRET: z
    .string()
    .min(32, 'at least 32 characters')
    .optional()
    .meta({ description: 'signs API tokens (at least 32 characters)', shownDefault: 'generated in `data/`' }),
  ACCOUNT_MAX_DEPTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(16)
    .describe('the most ancestors an account may have (400 beyond): one tenant cannot grow a chain without end'),
  ACCOUNT_MAX_CHILDREN: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(10_000)
    .describe('the most children one account may have (400 beyond)'),
  TOKEN_TTL_S: z.coerce.number().int().positive().default(3600).describe('how long an API token lasts'),
  ACCOUNT_ID_VARIABLE: z
    .string()
    .min(1)
    .default('ecallmgr_Account-ID')
    .describe("the channel variable with a leg's account (Kazoo's)"),
  AUTHORIZING_ID_VARIABLE: z
    .string()
    .min(1)
    .default('ecallmgr_Authorizing-ID')
    .describe("the channel variable with a leg's device (Kazoo's)"),
  OWNER_ID_VARIABLE: z
    .string()
    .min(1)
    .default('ecallmgr_Owner-ID')
    .describe("the channel variable with a leg's user (Kazoo's)"),
  DEFAULT_ACCOUNT_ID: z.string().optional().describe('the account of legs that carry none'),
  ACCOUNT_VARIABLES: z
    .string()
    .default(
      'ecallmgr_Account-ID,ecallmgr_Authorizing-Type,ecallmgr_Authorizing-ID,ecallmgr_Channel-Authorized,ecallmgr_Realm',
    )
    .transform(commaList)
    .describe(
      'channel variables copied to the target leg, so the switch routes and bills it as the account’s: from the ' +
        "transferor, or from its peer when the peer's metaflow (`listen_on` `peer`) started the transfer (Security)",
    ),
  TRANSFER_DIAL_TEMPLATE: z
    .string()
    .regex(/\{target\}/, 'must contain {target}')
    .default('loopback/{target}/{context}')
    .describe('how the target is dialled'),
  TRANSFER_CONTEXT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('default')
    .describe('the dialplan context of `{context}`'),
  TARGET_RING_TIMEOUT_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(600)
    .default(20)
    .describe('how long the target rings before the no-answer fallback'),
  PARTIAL_FAILURE: z
    .enum(['hangup', 'recall'])
    .default('hangup')
    .describe(
      'a partial transfer whose target fails: `hangup` releases the transferee with the target’s cause (Kazoo); ' +
        '`recall` calls the transferor back and connects them to the transferee (Asterisk’s `atxferdropcall=no`). ' +
        'A metaflow’s or a REST transfer’s `partial_failure` overrides it per transfer',
    ),
  RECALL_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10)
    .default(2)
    .describe('`recall`: attempts (Asterisk’s `atxfercallbackretries`)'),
  RECALL_DELAY_MS: positiveMs
    .default(10000)
    .describe('`recall`: the pause between attempts (the transferee keeps its music)'),
  RECALL_RING_TIMEOUT_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(600)
    .default(20)
    .describe('`recall`: how long each attempt rings'),
  RECALL_NUMBER_VARIABLE: z
    .string()
    .min(1)
    .default('handoff_recall_number')
    .describe(
      'channel variable with the number that reaches the transferor; without it, its own caller ID (inbound leg) ' +
        'or the number dialled to reach it (outbound leg)',
    ),
  DIGIT_TIMEOUT_MS: positiveMs.default(800).describe('inter-digit timeout'),
  TEMPORAL_TIMER_SHIFT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .describe(
      'how late the Temporal cluster may fire a timer shorter than this: its `history.timerProcessorMaxTimeShift` ' +
        "(1 s by default, and on Temporal Cloud). Where waiting for a code's running digit timer would end the code " +
        'later than a timer started at the digit, the timer is started again there (up to one timer per digit); 0: never',
    ),
  // Feature-code limits, so that no tenant's metaflows can stall the engine (contracts/patterns.ts).
  FEATURE_CODE_MAX_DIGITS: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(32)
    .describe(
      'digits collected after the binding digit (one more ends the collection as no match); also the longest ' +
        '`numbers` key',
    ),
  FEATURE_CODE_TERMINATOR: z
    .string()
    .regex(/^[0-9*#]?$/, { message: 'one key (0-9 * #), or empty for none' })
    .default('#')
    .describe(
      'the key that ends a feature code at once, without the inter-digit timeout (`*22600#`); empty: none. A ' +
        'metaflows document’s `terminator` wins; off where the binding digit is that key or a code may contain it',
    ),
  FEATURE_CODE_PATTERN_MAX_LENGTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(128)
    .describe('the longest `patterns` key'),
  FEATURE_CODE_PATTERN_MAX_PROGRAM: z.coerce
    .number()
    .int()
    .min(10)
    .max(100_000)
    .default(1000)
    .describe('a pattern that compiles to more RE2 instructions is stored but not run'),
  FEATURE_CODE_MAX_PATTERNS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .describe('the most `patterns` keys in one metaflows document'),
  BRIDGE_CONFIRM_TIMEOUT_MS: positiveMs.default(3000).describe('after this, a bridge is checked on the switch'),
  MEDIA_URL_TEMPLATE: z
    .string()
    .default(DEFAULT_MEDIA_URL_TEMPLATE)
    .superRefine((v, ctx) => {
      const problem = mediaTemplateProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(
      'how a Kazoo media ID without a media record is played (`{account_id}`, `{account_db}`, `{media_id}`; ' +
        'api/README.md, Media IDs); `""`: such an ID falls back to the account’s default music, and the REST ' +
        'answer says so',
    ),
  DEFAULT_MOH: z.string().default('local_stream://moh').describe('what the transferee hears on hold'),
  DEFAULT_RINGBACK: z
    .string()
    .default('%(2000,4000,440,480)')
    .describe('what the transferor hears while the target rings'),
  DEFAULT_TAKEBACK_DTMF: z.string().regex(DTMF_PATTERN).default('*1').describe('the takeback code'),
  THREE_WAY_DTMF: z
    .string()
    .regex(DTMF_PATTERN)
    .or(z.literal(''))
    .default('*3')
    .describe(
      'the transferor’s code, during the consultation, for a three-way conference of transferor, transferee and ' +
        'target; `""`: none',
    ),
  SWAP_DTMF: z
    .string()
    .regex(DTMF_PATTERN)
    .or(z.literal(''))
    .default('*4')
    .describe(
      'the transferor’s code, during the consultation, to talk to the other party while the one left hears music; ' +
        '`""`: none',
    ),
  THREE_WAY_CONFERENCE_PROFILE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('default')
    .describe('the mod_conference profile of a three-way’s conference'),
  STICKY_SCHEDULE_TO_START_MS: positiveMs
    .default(1500)
    .describe("a dead workflow worker's calls move to another worker after this"),
  WORKFLOW_TASK_SLOTS: z.coerce
    .number()
    .int()
    .min(2)
    .max(200)
    .default(DEFAULT_WORKFLOW_TASK_SLOTS)
    .describe(
      'workflow tasks a workflow worker takes at once: each task’s 2 s timeout runs from when the worker takes it, ' +
        'and its one workflow thread runs them one by one',
    ),
  WORKFLOW_TASK_SLOTS_MAX: z.coerce
    .number()
    .int()
    .min(0)
    .max(200)
    .default(DEFAULT_WORKFLOW_TASK_SLOTS_MAX)
    .describe(
      'above `WORKFLOW_TASK_SLOTS`, a workflow worker takes up to this many tasks at once while the machine’s CPU ' +
        'stays under `WORKFLOW_TASK_SLOTS_CPU` (the SDK’s resource-based slot supplier; docs/operations.md, “Sizing ' +
        'workflow workers”); not above `WORKFLOW_TASK_SLOTS`: always `WORKFLOW_TASK_SLOTS`. Off by default and not ' +
        'for production with SDK 1.24: above its CPU target such a worker was seen to stop taking new calls’ first ' +
        'tasks for a minute or more',
    ),
  WORKFLOW_TASK_SLOTS_CPU: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(DEFAULT_WORKFLOW_TASK_SLOTS_CPU)
    .describe('the machine’s CPU use (0–1) under which a workflow worker takes slots above `WORKFLOW_TASK_SLOTS`'),
  WORKFLOW_STACK_TRACES: flag('false').describe(
    'the Temporal UI’s Stack Trace tab for call and transfer workflows (the SDK’s stack trace query): on, the ' +
      'workflow worker captures a stack for every promise a workflow creates, some 40 % of its CPU per workflow ' +
      'task (docs/operations.md, “Workflow stack traces”); off, the tab says stack traces are not enabled and each ' +
      'workflow’s details and its `call` or `transfer` query still say what it waits for',
  ),
  WORKFLOW_DEADLOCK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(DEFAULT_WORKFLOW_DEADLOCK_TIMEOUT_MS)
    .describe(
      'a workflow task whose code runs this long without yielding fails as a potential deadlock and the workflow ' +
        'worker carries on (the SDK’s deadlock detection); 0: off, which saves the workflow worker a thread Node ' +
        'creates and joins for each of the ~3 calls into the workflow sandbox per task (docs/operations.md, ' +
        '“Deadlock detection”), and a workflow that never yields then holds the worker’s workflow thread',
    ),
  WORKFLOW_BUNDLE: z
    .string()
    .refine((file) => fs.existsSync(file), 'no such file (build it with npm run bundle:workflows -- FILE)')
    .optional()
    .describe(
      'a workflow bundle built ahead of time (`npm run bundle:workflows -- FILE`): the workflow workers load it ' +
        'instead of running webpack at start, so a restarted one polls within seconds. It must be built from the ' +
        'same code',
    ),
  NODE_GONE_AFTER_S: z.coerce
    .number()
    .int()
    .min(0)
    .default(600)
    .describe(
      'a FreeSWITCH node no ingest has been connected to for this long is lost: a node worker ends its calls (GONE), ' +
        'then its transfers, and drops its live channels (docs/operations.md; 0: never)',
    ),
  TRANSFER_SWEEP_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(15000)
    .describe(
      'how often each ingest looks for transfers ended by hand (terminated in the UI) whose callers wait on hold, ' +
        'and resumes them from the switch’s state (also on every reconnect; 0: only then)',
    ),
  CALL_WORKFLOWS: z
    .enum(['per_call', 'on_demand'])
    .default('per_call')
    .describe(
      '`per_call`: every call leg gets its call workflow from its first event (every call is in the Temporal UI); ' +
        '`on_demand`: a leg gets one only when something needs it (a binding digit of its metaflows on a bridged ' +
        'leg, a REST request, a transfer of its peer), so a plain call costs no Temporal action. Every ingest and ' +
        'API of a cluster must say the same',
    ),
  METAFLOW_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60000)
    .default(5000)
    .describe(
      'with `CALL_WORKFLOWS=on_demand`: how long an ingest keeps the metaflows of an account, user or device to ' +
        "know a leg's binding digits; an operator's change reaches new digits within this. 0: read at every digit",
    ),
  RECONCILE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30000)
    .describe(
      'how often each ingest reconciles its node while connected (it also does on every connect): a call whose ' +
        'hangup event was lost ends within this. Costs one visibility query and one `show channels` per node. ' +
        'a periodic one waits at least nine times the length of the last (a node with thousands of calls takes ' +
        'seconds to list). 0: only on connect',
    ),
  ESL_COMMAND_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(32)
    .default(DEFAULT_ESL_COMMAND_CONNECTIONS)
    .describe(
      'ESL connections each node worker opens to its switch for the calls’ commands (besides one for events and one ' +
        'for listings). FreeSWITCH runs one `api` at a time per connection: a command goes on the one with the fewest ' +
        'in flight (behind any command in flight on the same channel), so a slow command, or one that misses its ' +
        '5 s deadline and drops its connection, holds up or fails only the commands on its own connection',
    ),
  INGEST_RECONNECT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60000)
    .default(500)
    .describe(
      'after losing Temporal, the longest an ingest waits between two attempts to reach it again (its gRPC ' +
        'reconnect backoff and the retries of its held events): key presses held meanwhile reach their call ' +
        'workflows within about this of Temporal answering again, whatever the outage lasted',
    ),
  INGEST_LINGER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(200)
    .default(20)
    .describe(
      "how long a call workflow's event that no caller waits on (a leg's create, answer, bridge) waits for the " +
        "channel's next events, to go with them in one signal (one Temporal action): a switch sends a leg's answer " +
        "and bridge a few ms apart. Key presses, hangups and a transfer's events never wait; 0 sends each at once",
    ),
  INGEST_CODE_HOLD: flag('true').describe(
    "a feature code's key presses in one signal: the ingest reads a leg's feature codes at its first key press (as its " +
      "call workflow does), sends a code's binding digit at once and holds the code's other presses until it is " +
      'complete or the digit timeout has passed, then sends them together, saying how long the leg was quiet, so the ' +
      'call workflow acts at once rather than wait for a timer of its own (`*22600`: two signals instead of six, a ' +
      'transfer 30 actions instead of 35). Private codes and a transfer party’s presses always go one by one. Safe ' +
      'for an HA pair: the call workflow takes presses that come late in the switch’s order, and an ingest just ' +
      '(re)connected holds the presses it cannot place in a code a second longer, so the other ingest’s whole code ' +
      'comes first (README, “Feature codes”). Ignored with CALL_WORKFLOWS=on_demand; false sends every press at once',
  ),
  SHUTDOWN_GRACE_MS: positiveMs
    .default(10000)
    .describe('how long workers finish their activities on a deploy (SIGTERM)'),
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
    })
    .meta({
      description:
        '`id:BASE64[,id:BASE64…]`, 32-byte AES-256-GCM keys (`openssl rand -base64 32`): every payload (call ' +
        'events, caller numbers and names, results) is encrypted before it reaches Temporal. The first key ' +
        'encrypts, all decrypt',
      shownDefault: '— (payloads in clear)',
    }),
  CODEC_SERVER_HOST: z
    .string()
    .default('127.0.0.1')
    .describe('the codec server (`--role codec`; `npm start` runs it when keys are set and points its Web UI at it)'),
  CODEC_SERVER_PORT: port.default(9233).describe("the codec server's port"),
  CODEC_CORS_ORIGINS: z
    .string()
    .default('http://127.0.0.1:8233,http://localhost:8233')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ })))
    .describe('the Temporal UI origins allowed to call the codec server'),
  CODEC_SERVER_AUTH: z
    .string()
    .min(8)
    .optional()
    .describe(
      'when set, the codec server answers only requests whose `Authorization` header is exactly this (the CLI’s ' +
        '`--codec-auth`)',
    ),
  METRICS_PORT: port
    .default(9464)
    .describe(
      'every process’s operations port: `/metrics` (Prometheus), `/healthz`, `/readyz`, and the node workers’ admin ' +
        'endpoints (Operating it, below); 0 picks a free port. Give each process on a host its own port',
    ),
  METRICS_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'where the operations port listens: `0.0.0.0` for a remote scraper (admin endpoints still answer loopback ' +
        'callers only, unless `ADMIN_TOKEN` is set)',
    ),
  ADMIN_URLS: z
    .string()
    .default('')
    .transform((v) => commaList(v).map((s) => s.replace(/\/+$/, '')))
    .pipe(z.array(z.url({ protocol: /^https?$/ })))
    .meta({
      description:
        'the on-call CLI (`npm run ctl`): operations ports of the node workers it asks for `reconcile` and `drain` ' +
        '(comma-separated URLs)',
      shownDefault: '`http://127.0.0.1:<METRICS_PORT>`',
    }),
  TEMPORAL_UI_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      description: 'the on-call CLI’s links to the Temporal UI',
      shownDefault: '`http://127.0.0.1:<TEMPORAL_UI_PORT>`',
    }),
  ADMIN_TOKEN: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe(
      'when set, the admin endpoints answer any caller with `Authorization: Bearer <ADMIN_TOKEN>` (and only those); ' +
        'unset, they answer loopback callers only',
    ),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .default('info')
    .describe(
      '`trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`; every role, the ESL layer and the Temporal SDK ' +
        '(workflow and activity `log` included) write through the same logger; start-up lines are written at any level',
    ),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .optional()
    .meta({
      description:
        '`json`: one object per line (`callId`, `transferId`, `accountId`, `node` where they apply); `pretty`: lines ' +
        'for a person',
      shownDefault: '`pretty` on a terminal, else `json`',
    }),
  LOG_REDACT_NUMBERS: flag('false').describe(
    'mask caller numbers in logs (all but the last two digits of every run of 3 or more, in number fields and ' +
      'messages); Operating it, below, says where numbers also appear',
  ),
});

/** Variables read by a name pattern rather than one name (so not keys of the schema), for the README's table. */
export const VARIABLE_FAMILIES: readonly { name: string; description: string }[] = [
  {
    name: 'TEMPORAL_GRPC_META_<NAME>',
    description: 'an extra gRPC header on every call to Temporal (`_` becomes `-`), read by `@temporalio/envconfig`',
  },
];

export const CONFIG_SCHEMA = schema;

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
