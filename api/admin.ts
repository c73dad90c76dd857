// The administrator's command: accounts, API keys and media straight in the store, JSON out.
//   tsx api/admin.ts accounts create --name NAME [--id ID] [--parent ID]
//   tsx api/admin.ts accounts list
//   tsx api/admin.ts keys create --account ID [--label TEXT]     (prints the key once)
//   tsx api/admin.ts keys list --account ID
//   tsx api/admin.ts keys rotate --account ID [--label TEXT]     (revokes the account's keys and their tokens)
//   tsx api/admin.ts keys revoke (--id KEY_ID | --key KEY)       (and the key's tokens)
//   tsx api/admin.ts media create --account ID --name NAME --url STREAM_OR_FILE [--id ID]
//   tsx api/admin.ts demo                                         (seed the demo account, print a fresh key)
//   tsx api/admin.ts backup FILE                                  (SQLite: a consistent copy while processes run)
//   tsx api/admin.ts temporal-setup                               (register Handoff's search attributes)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, dbPath, loadConfig, type Config } from '../config/index.ts';
import { ClusterSetupError, setupCluster, tcldCommand } from '../temporal/cluster.ts';
import { connectClient, TemporalConnectError } from '../temporal/connection.ts';
import { StoreError, StoreUnavailableError, openConfiguredStore, seedDemo } from '../store/index.ts';
import type { Account, Store } from '../store/index.ts';
import { isMediaStream } from '../contracts/grammar.ts';

export const ADMIN_USAGE = `usage (help, --help or -h: this):
  admin accounts create --name NAME [--id ID] [--parent PARENT_ID]
  admin accounts list
  admin keys create --account ACCOUNT_ID [--label TEXT]
  admin keys list --account ACCOUNT_ID
  admin keys rotate --account ACCOUNT_ID [--label TEXT]
  admin keys revoke (--id KEY_ID | --key API_KEY)
  admin media create --account ACCOUNT_ID --name NAME --url STREAM_OR_FILE [--id ID]
  admin demo
  admin backup FILE      (the SQLite store's online copy; PostgreSQL: pg_dump)
  admin temporal-setup   (registers the search attributes on a self-hosted cluster; prints the tcld command for Cloud)`;

export interface AdminResult {
  /** 0 ok, 1 refused (unknown account, duplicate ID ...), 2 usage. */
  code: number;
  output: unknown;
}

class UsageError extends Error {}

function accountJson(a: Account) {
  return {
    id: a.id,
    name: a.name,
    parent_id: a.parentId,
    music_on_hold: a.musicOnHoldMediaId ? { media_id: a.musicOnHoldMediaId } : {},
    ringback: a.ringback,
    created: new Date(a.createdAt).toISOString(),
  };
}

function need(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

export async function runAdmin(argv: string[], store: Store): Promise<AdminResult> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        id: { type: 'string' },
        parent: { type: 'string' },
        account: { type: 'string' },
        label: { type: 'string' },
        key: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help || (positionals.length === 1 && positionals[0] === 'help')) {
      return { code: 0, output: { usage: ADMIN_USAGE } };
    }
    if (positionals[0] === 'backup') {
      const file = positionals[1];
      if (!file || positionals.length > 2) throw new UsageError('backup FILE: one file to write');
      if (!store.backup) {
        return {
          code: 1,
          output: {
            error:
              'the store is PostgreSQL: back it up with its own tools (pg_dump --format=custom, WAL archiving); see docs/operations.md',
          },
        };
      }
      await store.backup(path.resolve(file));
      return { code: 0, output: { backup: path.resolve(file) } };
    }
    const command = positionals.join(' ');
    switch (command) {
      case 'accounts create': {
        const account = await store.createAccount({
          name: need(values, 'name'),
          id: values.id,
          parentId: values.parent ?? null,
        });
        return { code: 0, output: accountJson(account) };
      }
      case 'accounts list':
        return { code: 0, output: (await store.listAccounts()).map(accountJson) };
      case 'keys create': {
        const created = await store.createApiKey(need(values, 'account'), values.label);
        return { code: 0, output: { id: created.id, account_id: created.accountId, api_key: created.key } };
      }
      case 'keys rotate': {
        const created = await store.rotateApiKey(need(values, 'account'), values.label);
        return { code: 0, output: { id: created.id, account_id: created.accountId, api_key: created.key } };
      }
      case 'keys list': {
        const keys = await store.listApiKeys(need(values, 'account'));
        return {
          code: 0,
          output: keys.map((k) => ({ id: k.id, label: k.label, created: new Date(k.createdAt).toISOString() })),
        };
      }
      case 'keys revoke': {
        const which = values.id ?? values.key;
        if (!which) throw new UsageError('--id or --key is required');
        const revoked = await store.revokeApiKey(which);
        return { code: revoked ? 0 : 1, output: { revoked } };
      }
      case 'media create': {
        const url = need(values, 'url');
        if (!isMediaStream(url)) {
          throw new StoreError(
            'invalid',
            'url',
            'expected tone_stream://%(...)[;loops=N], %(...), local_stream://NAME or an absolute .wav/.mp3 path',
          );
        }
        const media = await store.createMedia({
          id: values.id,
          accountId: need(values, 'account'),
          name: need(values, 'name'),
          streamUrl: url,
        });
        return { code: 0, output: { id: media.id, account_id: media.accountId, name: media.name, stream_url: url } };
      }
      case 'demo': {
        const demo = await seedDemo(store);
        return { code: 0, output: { account_id: demo.accountId, api_key: demo.apiKey } };
      }
      default:
        throw new UsageError(command ? `unknown command: ${command}` : 'no command');
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      return { code: 2, output: { error: err.message, usage: ADMIN_USAGE } };
    }
    if (err instanceof StoreError) return { code: 1, output: { error: err.message, field: err.field, code: err.code } };
    throw err;
  }
}

/**
 * Registers Handoff's search attributes in the configured namespace through the operator service (a self-hosted
 * cluster; the same TEMPORAL_* settings as every role). Temporal Cloud refuses that: its answer carries the tcld
 * command that does it there.
 */
export async function runTemporalSetup(config: Config): Promise<AdminResult> {
  const namespace = config.TEMPORAL_NAMESPACE;
  const tcld = tcldCommand(namespace);
  if (!config.TEMPORAL_ADDRESS) {
    return {
      code: 2,
      output: { error: 'TEMPORAL_ADDRESS (or TEMPORAL_PROFILE): which cluster?', temporal_cloud: tcld },
    };
  }
  let connection: Awaited<ReturnType<typeof connectClient>>['connection'] | undefined;
  try {
    connection = (await connectClient(config)).connection;
    const { added } = await setupCluster(connection, namespace);
    return { code: 0, output: { namespace, added, temporal_cloud: tcld } };
  } catch (err) {
    if (err instanceof ClusterSetupError || err instanceof TemporalConnectError) {
      return { code: 1, output: { error: err.message, temporal_cloud: tcld } };
    }
    // Temporal Cloud (and a cluster that denies operator calls) answers PERMISSION_DENIED or UNIMPLEMENTED here.
    return {
      code: 1,
      output: {
        error: `the cluster refused to register search attributes: ${(err as Error).message}`,
        temporal_cloud: tcld,
      },
    };
  } finally {
    await connection?.close();
  }
}

async function main(): Promise<void> {
  let config: Config;
  let file: string;
  try {
    config = loadConfig();
    file = dbPath(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (process.argv[2] === 'temporal-setup') {
    const result = await runTemporalSetup(config);
    (result.code === 0 ? console.log : console.error)(JSON.stringify(result.output, null, 2));
    process.exitCode = result.code;
    return;
  }
  if (!config.DATABASE_URL && file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let store: Store;
  try {
    store = await openConfiguredStore(config);
  } catch (err) {
    // The database cannot be reached: say which (no password) and why, no stack trace.
    if (err instanceof StoreUnavailableError) {
      console.error(err.message);
      process.exit(3);
    }
    throw err;
  }
  try {
    const result = await runAdmin(process.argv.slice(2), store);
    (result.code === 0 ? console.log : console.error)(JSON.stringify(result.output, null, 2));
    process.exitCode = result.code;
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) void main();
