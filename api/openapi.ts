// The OpenAPI 3 document of /api/v1, generated from the route definitions and thus
// from the contract's zod schemas. Contract schemas are named as components in place
// (no clones), so nested uses become $refs. Served at /api/v1/openapi.json and
// committed as docs/openapi.json (`npm run openapi`; a test fails on drift).
import { zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import * as contract from '../contract/index.js';
import { apiRoutes } from './routes/definitions.js';
import { fleetApiRoutes } from './routes/fleet-definitions.js';

/** Contract exports that are another export under a second name: never a component name. */
const ALIASES: ReadonlySet<string> = new Set(['PendingMigration']);

/**
 * Gives every exported contract schema its export name as OpenAPI component id, in the
 * library's registry of schema metadata. Idempotent: a schema already named keeps its name.
 */
function nameContractSchemas(): void {
  // Sorted, first name wins: the same names whatever order the loader lists exports in.
  const entries = Object.entries(contract).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of entries) {
    if (!(value instanceof z.ZodType) || !/^[A-Z]/.test(name) || ALIASES.has(name)) continue;
    if (!zodToOpenAPIRegistry.has(value)) zodToOpenAPIRegistry.add(value, { _internal: { refId: name } });
  }
}

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPIDocument']>;

export function buildOpenApiDocument(): OpenApiDocument {
  nameContractSchemas();
  const doc = new OpenAPIHono();
  const registry = doc.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from DUCKMIG_TOKENS (name:role:token), or the generated admin token',
  });
  registry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: 'duckmig_session',
    description: 'Set by POST /api/v1/session (browsers)',
  });
  for (const route of [...apiRoutes, ...fleetApiRoutes]) registry.registerPath(route);
  return doc.getOpenAPIDocument({
    openapi: '3.0.3',
    info: {
      title: 'duckmig API',
      version: '1.0.0',
      description:
        'DuckDB schema migrations as versioned SQL files, applied by a worker through a BullMQ queue. Every route needs a token (viewer < operator < admin); errors are `{ error: { code, message, details } }`.',
    },
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    tags: [
      { name: 'migrations', description: 'Run, preview, status and history' },
      { name: 'jobs', description: 'Queue jobs: state, progress, logs, cancel' },
      { name: 'schema', description: 'The live schema, the schema at an applied version, and the diff between two versions' },
      { name: 'live', description: 'Progress as it happens (WebSocket, SSE)' },
      { name: 'session', description: 'Who you are; browser sign-in' },
      { name: 'webhooks', description: 'Notifications: the delivery log' },
      { name: 'fleet', description: 'Many DuckDB files: targets, shards, fleet runs in waves, their controls and live events' },
    ],
  });
}

/** The document as committed in docs/openapi.json (stable formatting, trailing newline). */
export function openApiJson(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
