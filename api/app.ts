// The Hono app: small sub-apps (auth, accounts, channels, metaflows, media, docs) behind shared middleware.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Store } from '../store/index.ts';
import { authenticate, authorizeAccount } from './auth.ts';
import { ClientAddresses } from './client.ts';
import type { ApiConfig, ApiEnv } from './context.ts';
import type { CallEngine } from './engine.ts';
import { failure } from './envelope.ts';
import { ApiError } from './errors.ts';
import { corsPolicy } from './cors.ts';
import { errorHandler, jsonBodyGuard, methodOverride, requestContext, requestMetrics } from './http.ts';
import { routeTable, type RouteTable } from './route-table.ts';
import { createApiLogger } from './log.ts';
import type { ApiLogger } from './log.ts';
import { accountRoutes } from './routes/accounts.ts';
import { authRoutes } from './routes/auth.ts';
import { channelRoutes } from './routes/channels.ts';
import type { RouteDeps } from './routes/deps.ts';
import { docsRoutes } from './routes/docs.ts';
import { mediaRoutes } from './routes/media.ts';
import { metaflowRoutes } from './routes/metaflows.ts';
import { documentHeader, registerSecuritySchemes, routes } from './openapi.ts';
import { toApiConfig } from './settings.ts';
import type { ApiSettings } from './settings.ts';
import { TokenSigner } from './tokens.ts';

export interface CreateApiDeps {
  store: Store;
  engine: CallEngine;
  config: ApiSettings | ApiConfig;
  /** Where the API logs (default: JSON lines on stdout). */
  logger?: ApiLogger;
}

export function createApi(deps: CreateApiDeps): OpenAPIHono<ApiEnv> {
  const config = toApiConfig(deps.config);
  const signer = new TokenSigner(config.jwtSecret, config.tokenTtlS);
  const routeDeps: RouteDeps = { store: deps.store, engine: deps.engine, config, signer };

  const app = routes();
  registerSecuritySchemes(app);
  // Generated once, from every route's definition (they are all registered before the first request).
  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= { ...app.getOpenAPI31Document(documentHeader(config.version)) });
  // Read once every route is registered (the first request comes after).
  let table: RouteTable | undefined;
  const methodsOf = (path: string) => (table ??= routeTable(app.routes)).methodsOf(path);
  app.use('*', requestMetrics());
  app.use('*', methodOverride(app));
  app.use('*', requestContext(deps.logger ?? createApiLogger(), new ClientAddresses(config.trustedProxies)));
  app.use('*', corsPolicy(config.corsOrigins, methodsOf));
  app.use(
    '*',
    bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: () => {
        throw ApiError.tooLarge(config.bodyLimitBytes);
      },
    }),
  );
  app.use('*', jsonBodyGuard(config.maxJsonDepth));

  // Everything under an account needs a caller whose tree holds that account. OPTIONS needs none (Kazoo answers it
  // to anyone: it says which methods a path takes, and browsers send it without credentials before a CORS request).
  const authn = authenticate(deps.store, signer, { throttle: config.authThrottle });
  const authz = authorizeAccount(deps.store);
  const guard: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (c.req.method === 'OPTIONS') return next();
    await authn(c, async () => {
      await authz(c, next);
    });
  };
  app.use('/v2/accounts/:accountId', guard);
  app.use('/v2/accounts/:accountId/*', guard);

  app.route('/', docsRoutes(routeDeps, document));
  app.route('/v2', authRoutes(routeDeps));
  app.route('/v2', accountRoutes(routeDeps));
  app.route('/v2', channelRoutes(routeDeps));
  app.route('/v2', metaflowRoutes(routeDeps));
  app.route('/v2', mediaRoutes(routeDeps));

  app.notFound((c) => failure(c, config, ApiError.notFound()));
  app.onError(errorHandler(config));
  return app;
}
