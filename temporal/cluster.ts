// What Handoff needs on its Temporal cluster, checked by every role at start-up: the namespace exists and the custom
// search attributes (contracts/search-attributes.ts) are registered with their types. Without them every call would
// fail later, one by one (a workflow started with an unknown search attribute is refused); here the process stops at
// once and says what is missing and which command fixes it. `npm run admin -- temporal-setup` registers them on a
// self-hosted cluster through the operator service; Temporal Cloud manages them through its own API (tcld).
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { GRPC_STATUS, grpcCode } from '../contracts/grpc.ts';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';

const { IndexedValueType } = proto.temporal.api.enums.v1;
type SearchAttributeTypeName = (typeof SEARCH_ATTRIBUTES)[string];

const INDEXED: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

function typeName(t: number | null | undefined): string {
  return Object.entries(INDEXED).find(([, v]) => v === t)?.[0] ?? `type ${t}`;
}

/** A client or worker connection: both reach the workflow and operator services. */
export type ClusterConnection = Pick<Connection, 'workflowService' | 'operatorService'>;

/** The cluster lacks something Handoff needs; the message names it and the command that fixes it. */
export class ClusterSetupError extends Error {}

export function tcldCommand(namespace: string, names: readonly string[] = Object.keys(SEARCH_ATTRIBUTES)): string {
  return [
    `tcld namespace search-attributes add --namespace ${namespace}`,
    ...names.map((n) => `--search-attribute "${n}=${SEARCH_ATTRIBUTES[n]}"`),
  ].join(' ');
}

function fixes(namespace: string, names: readonly string[]): string {
  return (
    `  self-hosted:     npm run admin -- temporal-setup   (with this process's TEMPORAL_* settings)\n` +
    `  Temporal Cloud:  ${tcldCommand(namespace, names)}`
  );
}

export interface ClusterState {
  /** Registered custom attributes of the namespace, name → type name. */
  registered: Record<string, string>;
  missing: string[];
  wrongType: { name: string; want: SearchAttributeTypeName; have: string }[];
}

export async function inspectCluster(connection: ClusterConnection, namespace: string): Promise<ClusterState> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (grpcCode(err) === GRPC_STATUS.NOT_FOUND) {
      throw new ClusterSetupError(
        `Temporal namespace "${namespace}" does not exist. Create it, then start again:\n` +
          `  self-hosted:     temporal operator namespace create --namespace ${namespace} --retention 7d\n` +
          `  Temporal Cloud:  create it in the Cloud UI or with tcld namespace create, and set TEMPORAL_NAMESPACE to its id (name.account)`,
      );
    }
    throw err;
  }
  let customAttributes: Record<string, number> | null | undefined;
  try {
    ({ customAttributes } = await connection.operatorService.listSearchAttributes({ namespace }));
  } catch (err) {
    throw new ClusterSetupError(
      `cannot list the search attributes of namespace "${namespace}" (${(err as Error).message}); ` +
        `the credentials in use need read access to the namespace`,
      { cause: err },
    );
  }
  const registered: Record<string, string> = {};
  for (const [name, t] of Object.entries(customAttributes ?? {})) registered[name] = typeName(t);
  const missing: string[] = [];
  const wrongType: ClusterState['wrongType'] = [];
  for (const [name, want] of Object.entries(SEARCH_ATTRIBUTES)) {
    const have = registered[name];
    if (have === undefined) missing.push(name);
    else if (have !== want) wrongType.push({ name, want, have });
  }
  return { registered, missing, wrongType };
}

/** Throws ClusterSetupError (naming what is missing and the fix) unless the cluster has what Handoff needs. */
export async function checkCluster(connection: ClusterConnection, namespace: string): Promise<void> {
  const state = await inspectCluster(connection, namespace);
  const lines: string[] = [];
  if (state.missing.length) {
    lines.push(
      `Temporal namespace "${namespace}" lacks the search attribute(s) ${state.missing.join(', ')}. Register them:`,
      fixes(namespace, state.missing),
    );
  }
  for (const w of state.wrongType) {
    lines.push(
      `Search attribute ${w.name} is registered as ${w.have} in namespace "${namespace}"; Handoff needs ${w.want}. ` +
        `A type cannot be changed in place: remove it (temporal operator search-attribute remove --name ${w.name}) and register it again with npm run admin -- temporal-setup.`,
    );
  }
  if (lines.length) throw new ClusterSetupError(lines.join('\n'));
}

/**
 * Registers the missing search attributes through the operator service (self-hosted clusters). Returns what it added;
 * throws ClusterSetupError for a wrong type, which it does not touch.
 */
export async function setupCluster(connection: ClusterConnection, namespace: string): Promise<{ added: string[] }> {
  const state = await inspectCluster(connection, namespace);
  if (state.wrongType.length) await checkCluster(connection, namespace);
  if (state.missing.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(state.missing.map((n) => [n, INDEXED[SEARCH_ATTRIBUTES[n]!]!])),
    });
  }
  return { added: state.missing };
}
