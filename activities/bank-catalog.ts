/**
 * The bank referential's catalogue (issue 20, INGENEO page): Powens' connectors (GET /connectors,
 * with their sources) cached in PowensConnector, refreshed once a day by the worker, searched by
 * name in the portal. What we keep is what Powens documents for a Connector (powens-sdks
 * connectors.yml): uuid, the deprecated id, name, color, slug, capabilities, auth_mechanism, beta,
 * restricted, hidden; and sources (expand=sources) for the maintenance state. Powens documents no
 * maintenance flag and no logo on a connector: a connector is "in maintenance" when every one of its
 * sources is `disabled` ("this source is ignored on synchronizing the connection", so no sync can
 * run), and the portal draws a monogram on the brand colour where no logo is known (`logoUrl` stays
 * empty unless a connector carries a `logo_url`).
 */
import { z } from 'zod';
import type { PowensClient } from '../integrations/powens';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';

/** A catalogue older than this is refreshed (the worker looks every hour). */
export const CATALOG_MAX_AGE_MS = 24 * 3600_000;
const CHECK_EVERY_MS = 3600_000;
/** pg_advisory_xact_lock key: one refresh at a time whatever the number of workers. */
const LOCK_KEY = 420_020;

const documented = z.looseObject({
  id: z.number().int().nullable().optional(),
  uuid: z.string().min(1),
  name: z.string().min(1),
  hidden: z.boolean().nullable().optional(),
  beta: z.boolean().optional(),
  restricted: z.boolean().optional(),
  color: z.string().nullable().optional(),
  slug: z.string().nullable().optional(),
  capabilities: z.array(z.string()).optional(),
  auth_mechanism: z.string().nullable().optional(),
  logo_url: z.string().url().nullable().optional(),
  sources: z
    .array(z.looseObject({ disabled: z.string().nullable().optional() }))
    .nullable()
    .optional(),
});

export type CatalogConnector = z.infer<typeof documented>;

/** Every source disabled: Powens runs no synchronisation of this bank for now. */
export const inMaintenance = (c: Pick<CatalogConnector, 'sources'>) =>
  !!c.sources && c.sources.length > 0 && c.sources.every((s) => !!s.disabled);

export interface RefreshResult {
  refreshed: boolean;
  connectors: number;
  maintenance: number;
}

/**
 * Reads Powens' connectors and writes the catalogue (unless `force` is false and it is younger than
 * CATALOG_MAX_AGE_MS). Connectors Powens no longer lists are kept unlisted (banks of the referential
 * may name them). One refresh at a time (advisory lock).
 */
export async function refreshConnectorCatalog(
  deps: { prisma: Db; client: Pick<PowensClient, 'listConnectors'>; logger?: Logger; now?: () => Date },
  opts: { force?: boolean } = {},
): Promise<RefreshResult> {
  const now = deps.now?.() ?? new Date();
  if (!opts.force) {
    const last = await deps.prisma.powensConnector.aggregate({ _max: { syncedAt: true } });
    const at = last._max.syncedAt;
    if (at && now.getTime() - at.getTime() < CATALOG_MAX_AGE_MS)
      return { refreshed: false, connectors: 0, maintenance: 0 };
  }
  const raw = await deps.client.listConnectors({ expand: ['sources'] });
  const connectors = raw.flatMap((c) => {
    const r = documented.safeParse(c);
    if (!r.success)
      deps.logger?.warn({ connector: (c as { uuid?: unknown }).uuid }, 'Powens connector skipped: not as documented');
    return r.success && !r.data.hidden ? [r.data] : [];
  });
  await deps.prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_KEY}::bigint)`;
      for (const c of connectors) {
        const data = {
          powensId: c.id ?? null,
          name: c.name,
          color: c.color ? c.color.replace(/^#/, '') : null,
          slug: c.slug ?? null,
          logoUrl: c.logo_url ?? null,
          capabilities: c.capabilities ?? [],
          authMechanism: c.auth_mechanism ?? null,
          beta: c.beta ?? false,
          restricted: c.restricted ?? false,
          maintenance: inMaintenance(c),
          listed: true,
          syncedAt: now,
        };
        // A deprecated id moving to another uuid (it should not): the old row lets it go.
        if (c.id !== null && c.id !== undefined)
          await tx.powensConnector.updateMany({
            where: { powensId: c.id, NOT: { uuid: c.uuid } },
            data: { powensId: null },
          });
        await tx.powensConnector.upsert({ where: { uuid: c.uuid }, create: { uuid: c.uuid, ...data }, update: data });
      }
      await tx.powensConnector.updateMany({
        where: { uuid: { notIn: connectors.map((c) => c.uuid) } },
        data: { listed: false, syncedAt: now },
      });
    },
    { timeout: 120_000 },
  );
  const maintenance = connectors.filter(inMaintenance).length;
  deps.logger?.info({ connectors: connectors.length, maintenance }, 'Powens connector catalogue refreshed');
  return { refreshed: true, connectors: connectors.length, maintenance };
}

/** Whether the connector of a connection (by its deprecated id) is in maintenance in the catalogue. */
export async function connectorMaintenance(prisma: Db, powensConnectorId: number | null): Promise<boolean> {
  if (powensConnectorId === null) return false;
  const c = await prisma.powensConnector.findUnique({
    where: { powensId: powensConnectorId },
    select: { maintenance: true },
  });
  return c?.maintenance ?? false;
}

/**
 * The worker's daily refresh: at start, then every hour it refreshes the catalogue when it is older
 * than a day. Failures (Powens down) are logged and tried again at the next check.
 */
export function startCatalogRefresh(deps: {
  prisma: Db;
  client: Pick<PowensClient, 'listConnectors'>;
  logger: Logger;
}) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  const tick = () => {
    round = refreshConnectorCatalog(deps)
      .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, 'connector catalogue: will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, CHECK_EVERY_MS);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
