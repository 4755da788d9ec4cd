/**
 * Every read API answer a test receives is checked against the service's own
 * OpenAPI document (GET /api/v1/openapi.json): the status is declared for the
 * path and method (or covered by `default`), the media type matches, the
 * required headers are present and match their schemas, and the body matches
 * its JSON Schema (ajv, draft 2020-12). A path the document does not list
 * must answer a problem.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

interface Checker {
  readonly doc: Json;
  readonly ajv: Ajv2020;
}

const checkers = new Map<string, Promise<Checker>>();

async function checker(base: string): Promise<Checker> {
  let c = checkers.get(base);
  if (!c) {
    c = (async () => {
      const res = await fetch(`${base}/api/v1/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Json;
      const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { date: /^\d{4}-\d{2}-\d{2}$/ } });
      ajv.addSchema(doc, 'openapi.json');
      return { doc, ajv };
    })();
    checkers.set(base, c);
  }
  return c;
}

/** Follow local `$ref`s (`#/components/...`). */
function deref(doc: Json, node: unknown): Json {
  let n = obj(node);
  while (typeof n.$ref === 'string')
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce((o, k) => obj(o[k]), doc);
  return n;
}

/** The document's path item for a request path: exact, or a template such as /runs/{id} (one segment per parameter). */
function pathItem(doc: Json, route: string): unknown {
  const paths = obj(doc.paths);
  if (paths[route] !== undefined) return paths[route];
  const segments = route.split('/');
  const match = Object.keys(paths).find((template) => {
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((p, i) => /^\{[^}]+\}$/.test(p) || p === segments[i]);
  });
  return match === undefined ? undefined : paths[match];
}

/** Check one answer of `base` (http://host:port) to `method path` against the document; returns nothing, fails the test on a mismatch. */
export async function checkAnswer(
  base: string,
  method: string,
  path: string,
  res: { status: number; headers: Headers },
  text: string,
): Promise<void> {
  const { doc, ajv } = await checker(base);
  const route = new URL(path, 'http://x').pathname.replace(/^\/api\/v1/, '') || '/';
  const what = `${method} ${path} -> ${res.status}`;
  const operation = obj(obj(pathItem(doc, route))[method.toLowerCase()]);
  const responses = obj(operation.responses);
  const declared =
    operation.responses === undefined ? obj(obj(doc.components).responses).Problem : (responses[String(res.status)] ?? responses.default);
  expect(declared, `${what}: status not in the OpenAPI document`).toBeDefined();
  const response = deref(doc, declared);
  for (const [name, h] of Object.entries(obj(response.headers))) {
    const header = deref(doc, h);
    const value = res.headers.get(name);
    if (value === null) {
      expect(header.required, `${what}: header ${name} is required`).not.toBe(true);
      continue;
    }
    const valid = ajv.validate(obj(header.schema), value);
    expect(valid, `${what}: header ${name}: ${value}: ${ajv.errorsText()}`).toBe(true);
  }
  const content = response.content === undefined ? undefined : obj(response.content);
  if (!content || res.status === 304 || method === 'HEAD') {
    expect(text, `${what}: no body expected`).toBe('');
    return;
  }
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  expect(Object.keys(content), `${what}: media type`).toContain(mediaType);
  const schema = obj(obj(content[mediaType]).schema);
  const validate = typeof schema.$ref === 'string' ? ajv.getSchema(`openapi.json${schema.$ref}`)! : ajv.compile(schema);
  const body: unknown = JSON.parse(text);
  expect(validate(body), `${what}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`).toBe(true);
}
