// Serves the app with @hono/node-server; resolves once listening (port 0 picks a free one).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { createApi } from './app.ts';
import type { CreateApiDeps } from './app.ts';

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApi(deps: CreateApiDeps & { host?: string; port?: number }): Promise<RunningApi> {
  const app = createApi(deps);
  const settings = deps.config as { API_HOST?: string; API_PORT?: number };
  const host = deps.host ?? settings.API_HOST ?? '127.0.0.1';
  const port = deps.port ?? settings.API_PORT ?? 8000;
  let server: ServerType | undefined;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: host, port }, resolve);
    server.once('error', reject);
  });
  const listening = server as ServerType;
  const urlHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${urlHost}:${info.port}`,
    port: info.port,
    close: () =>
      new Promise<void>((done) => {
        listening.close(() => done());
        // Idle keep-alive sockets would hold close() open.
        if ('closeAllConnections' in listening) listening.closeAllConnections();
      }),
  };
}
