// Checks an API answer against the OpenAPI document the server serves (GET /openapi.json): the status must be one the
// operation documents, and the body must match that answer's schema, read from the document itself (its JSON Schema
// turned back into a validator with zod's fromJSONSchema), so a handler and the document cannot drift apart unseen.
// Stricter than JSON Schema on one point: an object whose schema says nothing of other keys may carry no key the
// document does not name (a key a handler adds must be documented); objects the document leaves open stay open.
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** Every object schema that does not say whether other keys are allowed is closed. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    // Property names are not schemas: map the values only.
    out[k] =
      k === 'properties' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, closed(s)]))
        : closed(v);
  }
  if (out.type === 'object' && out.properties && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

export class DocumentCheck {
  private readonly routes: { re: RegExp; path: string }[];
  private readonly defs: JsonSchema;
  private readonly validators = new Map<string, z.ZodType>();

  constructor(private readonly doc: OpenApiDocument) {
    this.routes = Object.keys(doc.paths).map((path) => ({
      path,
      re: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
    }));
    const refs = JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/');
    this.defs = closed(JSON.parse(refs)) as JsonSchema;
  }

  /** The operation's path template for a request path, if the document has one. */
  pathOf(pathname: string): string | undefined {
    return this.routes.find((r) => r.re.test(pathname))?.path;
  }

  /**
   * What is wrong with this answer, or undefined when it matches the document. Requests the document does not
   * describe (a path or method it does not list: 404s, 405s, OPTIONS) are not checked.
   */
  problem(method: string, pathname: string, status: number, body: string): string | undefined {
    const path = this.pathOf(pathname);
    const operation = path === undefined ? undefined : this.doc.paths[path]?.[method.toLowerCase()];
    if (!path || !operation) return undefined;
    const documented = operation.responses[String(status)];
    if (!documented) {
      return `${method} ${path} answered ${status}, which the document does not list (${Object.keys(operation.responses).join(', ')})`;
    }
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) return undefined;
    const key = `${method} ${path} ${status}`;
    let validator = this.validators.get(key);
    if (!validator) {
      const refs = JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/');
      validator = z.fromJSONSchema({ ...(closed(JSON.parse(refs)) as JsonSchema), $defs: this.defs } as never);
      this.validators.set(key, validator);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${key}: the body is not JSON`;
    }
    const result = validator.safeParse(parsed);
    if (result.success) return undefined;
    return `${key}: the answer does not match the document: ${JSON.stringify(result.error.issues.slice(0, 5))}`;
  }
}
