// The API's settings, from the environment configuration (config/index.ts) or given directly (tests).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/index.ts';
import { featureCodeLimits } from '../contracts/patterns.ts';
import type { ApiConfig } from './context.ts';
import { DEFAULT_MEDIA_URL_TEMPLATE } from '../contracts/media.ts';

export const API_VERSION = '0.1.0';
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
export const DEFAULT_MAX_JSON_DEPTH = 32;

/** What the API reads from config/index.ts's Config; the JWT secret must be resolved (it is optional in Config). */
export type ApiSettings = Partial<
  Pick<
    Config,
    | 'TOKEN_TTL_S'
    | 'API_PORT'
    | 'API_HOST'
    | 'API_MAX_JSON_DEPTH'
    | 'API_TRUSTED_PROXIES'
    | 'API_CORS_ORIGINS'
    | 'MEDIA_URL_TEMPLATE'
    | 'API_AUTH_MAX_FAILURES'
    | 'API_AUTH_WINDOW_S'
    | 'FEATURE_CODE_MAX_DIGITS'
    | 'FEATURE_CODE_PATTERN_MAX_LENGTH'
    | 'FEATURE_CODE_PATTERN_MAX_PROGRAM'
    | 'FEATURE_CODE_MAX_PATTERNS'
    | 'API_BODY_LIMIT_BYTES'
    | 'API_NODE_NAME'
  >
> & {
  HANDOFF_JWT_SECRET: string;
};

export function toApiConfig(s: ApiSettings | ApiConfig): ApiConfig {
  if ('jwtSecret' in s) return s;
  return {
    jwtSecret: s.HANDOFF_JWT_SECRET,
    tokenTtlS: s.TOKEN_TTL_S ?? 3600,
    bodyLimitBytes: s.API_BODY_LIMIT_BYTES ?? DEFAULT_BODY_LIMIT_BYTES,
    maxJsonDepth: s.API_MAX_JSON_DEPTH ?? DEFAULT_MAX_JSON_DEPTH,
    trustedProxies: s.API_TRUSTED_PROXIES ?? [],
    corsOrigins: s.API_CORS_ORIGINS ?? '*',
    mediaUrlTemplate: s.MEDIA_URL_TEMPLATE ?? DEFAULT_MEDIA_URL_TEMPLATE,
    authThrottle: { maxFailures: s.API_AUTH_MAX_FAILURES ?? 20, windowS: Math.min(60, s.API_AUTH_WINDOW_S ?? 60) },
    node: s.API_NODE_NAME ?? createHash('sha256').update(hostname()).digest('hex').slice(0, 16),
    version: API_VERSION,
    featureCodes: featureCodeLimits(s),
  };
}
