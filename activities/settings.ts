/** The company's settings as the workflow reads them, when it starts and when they change. */
import type { PeriodicityInput } from '../domain/periodicity';
import { connectionNotFound, type ConnectionActivityDeps } from './context';

export interface ConnectionSettings {
  siren: string;
  portalAccountId: string;
  periodicity: PeriodicityInput;
  autoLinks: boolean;
  active: boolean;
}

export function createSettingsActivities({ sql }: Pick<ConnectionActivityDeps, 'sql'>) {
  return {
    /** Read by every workflow when it starts (a whole fleet at once): plain SQL, one query. */
    async loadConnectionSettings(connectionId: string): Promise<ConnectionSettings> {
      const {
        rows: [c],
      } = await sql.query<ConnectionSettings & { kind: string; day: number | null; month: number | null }>(
        `SELECT c.siren, c."portalAccountId"::text AS "portalAccountId", c."periodicityKind"::text AS kind,
                c."periodicityDay" AS day, c."periodicityMonth" AS month, c."autoLinks" AS "autoLinks",
                k.active AND c.active
                  AND EXISTS (SELECT 1 FROM "BankAccount" a WHERE a."connectionId" = k.id AND a.active) AS active
         FROM "BankConnection" k JOIN "Company" c ON c.id = k."companyId" WHERE k.id = $1::uuid`,
        [connectionId],
      );
      if (!c) throw connectionNotFound(connectionId);
      return {
        siren: c.siren,
        portalAccountId: c.portalAccountId,
        periodicity: { kind: c.kind, day: c.day, month: c.month },
        autoLinks: c.autoLinks,
        active: c.active,
      };
    },
  };
}
