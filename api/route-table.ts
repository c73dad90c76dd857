// The methods each path answers, read from the app's own routes once they are all registered: what CORS preflights
// allow, so that the answer can never disagree with the routes.
import type { RouterRoute } from 'hono/types';

export interface RouteTable {
  /** The methods the route matching `path` answers (HEAD with GET), or undefined for a path no route answers. */
  methodsOf(path: string): readonly string[] | undefined;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']);

function toRegExp(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export function routeTable(routes: readonly RouterRoute[]): RouteTable {
  const byPattern = new Map<string, Set<string>>();
  for (const r of routes) {
    if (!METHODS.has(r.method) || r.path.includes('*')) continue;
    let methods = byPattern.get(r.path);
    if (!methods) byPattern.set(r.path, (methods = new Set()));
    methods.add(r.method);
  }
  const entries = [...byPattern].map(([pattern, methods]) => ({ re: toRegExp(pattern), methods: [...methods] }));
  return {
    methodsOf(path) {
      return entries.find((e) => e.re.test(path))?.methods;
    },
  };
}
