/**
 * Settings of a deployment that lib/config-schema.ts spreads into its schema: how to reach an external
 * Temporal (Temporal's client environment conventions: TEMPORAL_API_KEY, TEMPORAL_TLS*), the
 * database pool sizes, and where the metrics are served. Documented in `.env.example`; the
 * connection options themselves are built by lib/temporal-connection.ts.
 */
import { z } from 'zod';

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464');
const poolSize = z.coerce.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500');

export const deploymentShape = {
  /** Temporal Cloud API key (sent as a bearer token; implies TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** TLS towards the Temporal frontend: implied by a client certificate or an API key. */
  TEMPORAL_TLS: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),

  /** Connections of the API's Prisma pool. */
  DATABASE_POOL_MAX: poolSize.default(10),
  /** Connections of each worker's Prisma pool, and as many again for its plain-SQL pool. */
  WORKER_DATABASE_POOL_MAX: poolSize.default(20),

  /** Bearer token of the API's GET /metrics (unset: open in development, 404 in production). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** host:port of the worker's own metrics server (prom-client); unset: not served. */
  WORKER_METRICS_ADDRESS: hostPort.optional(),
  /** host:port of the Temporal SDK's Prometheus exporter in the worker; unset: not served. */
  WORKER_TEMPORAL_METRICS_ADDRESS: hostPort.optional(),
};
