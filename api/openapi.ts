/**
 * OpenAPI 3.1 generated from the operations' zod schemas (z.toJSONSchema, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1), and a self-contained reference page (no script, no CDN) rendered from it.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { AnyOperation } from './http';
import { problem } from './schemas';

type Json = Record<string, unknown>;

export function buildOpenApi(operations: AnyOperation[], publicBaseUrl: string) {
  const components: Record<string, Json> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const raw = JSON.stringify(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
    const out = JSON.parse(raw.replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    for (const [id, def] of Object.entries(defs)) components[id] ??= def;
    delete out.$defs;
    delete out.$schema;
    if (typeof out.id === 'string') {
      // A registered schema at the top level: refer to it.
      const { id, ...rest } = out;
      components[id] ??= rest;
      return { $ref: `#/components/schemas/${id}` };
    }
    return out;
  };
  convert(problem, 'output');
  const problemRef = { $ref: '#/components/schemas/Problem' };

  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operations) {
    const parameters: Json[] = [];
    for (const [where, schema] of [
      ['path', op.params],
      ['query', op.query],
    ] as const) {
      if (!schema) continue;
      const js = convert(schema, 'input');
      const props = (js.properties ?? {}) as Record<string, Json>;
      const required = new Set((js.required ?? []) as string[]);
      for (const [name, s] of Object.entries(props)) {
        const { description, ...rest } = s;
        parameters.push({
          name,
          in: where,
          required: where === 'path' || required.has(name),
          description,
          schema: rest,
        });
      }
    }
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      const type = r.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      const schema = r.schema ? convert(r.schema, 'output') : Number(status) >= 400 ? problemRef : undefined;
      responses[status] = {
        description: r.description,
        ...(schema || r.contentType ? { content: { [type]: { schema: schema ?? {} } } } : {}),
      };
    }
    if (op.body || op.params || op.query)
      responses['400'] ??= {
        description: 'Champs invalides (liste dans `errors`)',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    if (op.auth !== false)
      responses['401'] ??= {
        description: 'Authentification requise',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    if (op.params)
      responses['404'] ??= {
        description: 'Introuvable (ou hors du périmètre du compte)',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    const requestBody = op.body
      ? { required: true, content: { 'application/json': { schema: convert(op.body, 'input') } } }
      : op.rawBody
        ? {
            required: true,
            description: op.rawBody.description,
            content: { [op.rawBody.contentType]: { schema: { type: 'string' } } },
          }
        : undefined;
    const path = `/api/v1${op.path}`;
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      ...(op.auth === false ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Relevés — API du portail',
      version: '1.0.0',
      description:
        'Collecte des relevés bancaires CFONB120 via Powens. Authentification par clé d’API (`Authorization: Bearer rlv_…`) ou cookie de session (POST /api/v1/auth/login) avec en-tête `X-CSRF-Token` pour les écritures. Erreurs au format RFC 9457 (application/problem+json).',
    },
    servers: [{ url: publicBaseUrl }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'Clé d’API (rlv_…), affichée une seule fois à sa création.',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'releves_session' },
      },
    },
  };
}

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The reference page: plain HTML and inline CSS rendered on the server from the document. */
export function renderDocsPage(getDoc: () => ReturnType<typeof buildOpenApi>): RequestHandler {
  let html: string | undefined;
  return (_req, res) => {
    html ??= render(getDoc());
    res.type('html').send(html);
  };
}

function render(doc: ReturnType<typeof buildOpenApi>): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[])[0] ?? 'API';
      const params = (op.parameters ?? []) as Json[];
      const body = op.requestBody as Json | undefined;
      const responses = op.responses as Record<string, Json>;
      const block = `<details id="${esc(op.operationId)}"><summary><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> — ${esc(op.summary)}</summary>
${op.description ? `<p>${esc(op.description)}</p>` : ''}
${params.length ? `<h4>Paramètres</h4><table><tr><th>Nom</th><th>Où</th><th>Requis</th><th>Schéma</th><th>Description</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'oui' : 'non'}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td><td>${esc(p.description)}</td></tr>`).join('')}</table>` : ''}
${body ? `<h4>Corps</h4>${body.description ? `<p>${esc(body.description)}</p>` : ''}<pre>${esc(JSON.stringify(body.content, null, 2))}</pre>` : ''}
<h4>Réponses</h4><table>${Object.entries(responses)
        .map(
          ([s, r]) =>
            `<tr><td>${esc(s)}</td><td>${esc(r.description)}</td><td><code>${esc(Object.keys((r.content ?? {}) as Json).join(', '))}</code></td></tr>`,
        )
        .join('')}</table></details>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), block]);
    }
  }
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([id, s]) =>
        `<details id="schema-${esc(id)}"><summary><code>${esc(id)}</code></summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#1d2433}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ccd;margin-top:2rem}details{border:1px solid #dde;border-radius:6px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer}code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f5f6fa;padding:.6rem;overflow:auto}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
.m{display:inline-block;min-width:4.5em;font-weight:700;font-family:ui-monospace,monospace}.get{color:#1a7f37}.post{color:#0969da}.put,.patch{color:#9a6700}.delete{color:#cf222e}
</style></head><body>
<h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p>
<p>Document OpenAPI 3.1 : <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a></p>
${[...byTag].map(([tag, blocks]) => `<h2>${esc(tag)}</h2>\n${blocks.join('\n')}`).join('\n')}
<h2>Schémas</h2>
${schemas}
</body></html>`;
}
