export {
  EslConnection,
  EslError,
  EslTimeoutError,
  EslDisconnectedError,
  EslCommandError,
  type EslEvent,
  type EslConnectionOptions,
  type Backoff,
} from './connection.ts';
export { EslNode, ENGINE_EVENTS, commandChannels, type EslNodeSpec, type EslNodeOptions } from './node.ts';
export { decodeEslValue } from './decode.ts';
export { quietLogger, type Logger } from './log.ts';
