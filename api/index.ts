// The API's public surface.
export { createApi } from './app.ts';
export type { CreateApiDeps } from './app.ts';
export { startApi } from './server.ts';
export type { RunningApi } from './server.ts';
export type { ApiConfig, AuthInfo } from './context.ts';
export type { ApiSettings } from './settings.ts';
export { toApiConfig } from './settings.ts';
export type { CallEngine } from './engine.ts';
export {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  TransferRefusedError,
} from './engine.ts';
export { TemporalCallEngine, callWorkflowStarts } from './temporal-engine.ts';
