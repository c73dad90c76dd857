// `npm run ctl -- <command>`: the on-call CLI. Tables for a person, `--json` for scripts.
// Exit codes: 0 done, 1 not found or refused, 2 usage, 3 unreachable (Temporal or the node workers' admin endpoints).
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { connectClient, TemporalConnectError } from '../temporal/connection.ts';
import * as commands from './commands.ts';
import { EXIT, UnreachableError, UsageError, type CtlContext, type Result } from './commands.ts';

const USAGE = `usage: npm run ctl -- <command> [--json]
  calls [--account A] [--node N] [--state S] [--limit N]     running calls
  call <call-id>                                            one call: legs, state, transfer, who hears what, UI links
  transfers [--state S] [--outcome O] [--since 1h] [--node N] [--account A] [--limit N]
  cancel <transfer-id>                                      cancel a running transfer (the transferor gets the transferee back)
  node <node>                                               the node as each process serving it sees it: ESL, drain
  reconcile <node>                                          read the node's channels and put the workflows right
  drain <node> [--off] [--wait]                             no new transfers on the node; running ones finish
  stats [--since 1h]                                        transfers by outcome
exit codes: 0 done, 1 not found or refused, 2 usage, 3 unreachable
environment: TEMPORAL_* (as every role), ADMIN_URLS (node workers' operations ports), ADMIN_TOKEN, TEMPORAL_UI_URL`;

async function runCtl(argv: string[], config: Config): Promise<Result> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      account: { type: 'string' },
      node: { type: 'string' },
      state: { type: 'string' },
      outcome: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      off: { type: 'boolean' },
      wait: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg, ...extra] = positionals;
  let connected: Promise<Client> | undefined;
  const ctx: CtlContext = {
    config,
    client: () => (connected ??= connectClient(config).then((c) => c.client)),
  };
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit: 1 to 10000');
  const one = (what: string): string => {
    if (!arg || extra.length) throw new UsageError(`${command} takes one ${what}`);
    return arg;
  };
  const none = () => {
    if (arg) throw new UsageError(`${command} takes no argument`);
  };
  try {
    switch (command) {
      case 'calls':
        none();
        return await commands.calls(ctx, { account: values.account, node: values.node, state: values.state, limit });
      case 'call':
        return await commands.call(ctx, one('call ID'));
      case 'transfers':
        none();
        return await commands.transfers(ctx, { ...values, limit });
      case 'cancel':
        return await commands.cancel(ctx, one('transfer ID'));
      case 'node':
        return await commands.node(ctx, one('node name'));
      case 'reconcile':
        return await commands.reconcile(ctx, one('node name'));
      case 'drain':
        return await commands.drain(ctx, one('node name'), {
          off: values.off,
          wait: values.wait,
          by: `ctl@${os.hostname()}`,
        });
      case 'stats':
        none();
        return await commands.stats(ctx, { since: values.since });
      case 'help':
      case undefined:
        return { code: values.help || command === 'help' ? EXIT.ok : EXIT.usage, text: USAGE, json: { usage: USAGE } };
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    if (connected) await (await connected.catch(() => undefined))?.connection.close();
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const fail = (code: number, error: string) => {
    if (json) console.log(JSON.stringify({ error }));
    else console.error(error);
    return code;
  };
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) return fail(EXIT.usage, err.message);
    throw err;
  }
  try {
    const result = await runCtl(argv, config);
    if (json) console.log(JSON.stringify(result.json, null, 2));
    else (result.code === EXIT.ok ? console.log : console.error)(result.text);
    return result.code;
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    )
      return fail(EXIT.usage, `${err.message}\n${USAGE}`);
    if (err instanceof TemporalConnectError || err instanceof UnreachableError)
      return fail(EXIT.unreachable, err.message);
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
