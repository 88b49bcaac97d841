/**
 * Shared zod schemas of the API: the single source for request validation and for the OpenAPI
 * document (api/openapi.ts). Messages are French (end users read them in the portal).
 */
import { z } from 'zod';

export const idParam = z.object({ id: z.uuid({ message: 'identifiant invalide (UUID attendu)' }) });

export const queryBool = z
  .enum(['true', 'false', '1', '0'], { message: 'true ou false attendu' })
  .transform((v) => v === 'true' || v === '1');

export const scopeQuery = z.object({
  includeSecondary: queryBool
    .default(false)
    .describe('Compte principal : inclure les données des comptes secondaires.'),
});

export const pageQuery = z.object({
  limit: z.coerce
    .number({ message: 'nombre attendu' })
    .int('entier attendu')
    .min(1, 'au moins 1')
    .max(200, 'au plus 200')
    .default(50),
  offset: z.coerce.number({ message: 'nombre attendu' }).int('entier attendu').min(0, 'au moins 0').default(0),
});

export const order = z.enum(['asc', 'desc'], { message: 'asc ou desc attendu' }).default('asc');

/** Optional filter strings: trimmed, empty means absent. */
export const filterText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `au plus ${max} caractères`)
    .optional()
    .transform((v) => (v ? v : undefined));

/** SIRET search: digits only (spaces ignored), 1 to 14 of them; 9 = SIREN, 14 = SIRET. */
export const siretFilter = z
  .string()
  .transform((v) => v.replace(/[\s.]/g, ''))
  .pipe(z.string().regex(/^\d{1,14}$/, 'SIREN ou SIRET attendu (chiffres uniquement)'))
  .optional();

/** IBAN search: spaces ignored, case-insensitive, any part of it. */
export const ibanFilter = z
  .string()
  .transform((v) => v.replace(/\s/g, '').toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9]{1,34}$/, 'IBAN (ou partie d’IBAN) attendu : lettres et chiffres'))
  .optional();

export const isoDate = z.iso.date({ message: 'date au format AAAA-MM-JJ attendue' });

export function list<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}

/**
 * The searches over the big tables (companies, bank accounts, statements) count at most this many
 * matches past the offset: counting every match of a million-row search costs seconds, the page
 * itself does not.
 */
export const COUNT_CAP = 1_000;

/** A capped count's total: exact up to `offset + COUNT_CAP`, else that figure and `totalCapped`. */
function cappedTotal(counted: number, offset: number): { total: number; totalCapped: boolean } {
  const cap = offset + COUNT_CAP;
  return { total: Math.min(counted, cap), totalCapped: counted > cap };
}

/**
 * Keyset pagination of the lists over the big tables: the page that follows an item of the list
 * (the previous page's `nextAfter`), read from that item's place in the sort's index however deep
 * it is, where an `offset` walks every row before the page.
 */
export const afterQuery = z.object({
  after: z
    .string()
    .max(1000, 'curseur invalide (le nextAfter d’une page de cette liste attendu)')
    .regex(/^[A-Za-z0-9_-]+$/, 'curseur invalide (le nextAfter d’une page de cette liste attendu)')
    .optional()
    .describe(
      'Pagination par curseur : le `nextAfter` de la page précédente (même tri, mêmes filtres) ; ne se combine pas avec `offset`. `total` compte alors les résultats qui suivent.',
    ),
});

/** A list query's `after` and `offset`: one or the other (a refinement of the lists taking `after`). */
export function afterWithoutOffset(q: unknown, ctx: z.RefinementCtx): void {
  const { after, offset } = q as { after?: unknown; offset?: unknown };
  if (typeof after === 'string' && typeof offset === 'number' && offset > 0)
    ctx.addIssue({
      code: 'custom',
      path: ['offset'],
      message: 'ne se combine pas avec after (pagination par curseur)',
    });
}

/** A list whose total is capped (see COUNT_CAP), with the cursor of the page that follows. */
export function cappedList<T extends z.ZodType>(item: T) {
  return list(item).extend({
    totalCapped: z
      .boolean()
      .describe(
        `true : au moins \`total\` résultats (le décompte s’arrête à offset + ${COUNT_CAP.toLocaleString('fr-FR')}), false : \`total\` exact`,
      ),
    nextAfter: z
      .string()
      .nullable()
      .describe(
        'Curseur opaque à passer dans `after` pour la page suivante (la place du dernier élément de celle-ci) ; null : plus rien ne suit',
      ),
  });
}

/**
 * A capped list's page: its total from the count (api/page-rows.ts), and `nextAfter`, the cursor
 * (`cursor`, api/search-sql.ts encodeAfter) of its last item when more matches follow it. With
 * `after`, the count is of the matches after that place.
 */
export function cappedPage<T>(
  items: T[],
  counted: number | null,
  q: { limit: number; offset: number },
  cursor: (last: T) => string,
): { items: T[]; total: number; totalCapped: boolean; nextAfter: string | null; limit: number; offset: number } {
  const { total, totalCapped } = cappedTotal(counted ?? 0, q.offset);
  const more = items.length === q.limit && (totalCapped || q.offset + items.length < total);
  return {
    items,
    total,
    totalCapped,
    nextAfter: more ? cursor(items.at(-1)!) : null,
    limit: q.limit,
    offset: q.offset,
  };
}

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ field: z.string(), reason: z.string(), line: z.number().int().optional() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (detail en français).' });

export const linkStateEnum = z.enum(['valid', 'used', 'expired']);
export const linkKindEnum = z.enum(['add-accounts', 'update-credentials']);

export const linkOut = z
  .object({
    id: z.uuid(),
    kind: linkKindEnum,
    companyId: z.uuid(),
    connectionId: z.uuid().nullable(),
    recipient: z.string(),
    automatic: z.boolean(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    usedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
    state: linkStateEnum,
  })
  .meta({ id: 'Link' });

export const periodicityOut = z.object({
  kind: z.enum(['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'ANNUAL']),
  day: z.number().int().nullable(),
  month: z.number().int().nullable(),
});

/** The statement formats delivered (e-mail, ZIP, webhook URLs); either file can always be downloaded. */
export const statementFormatsEnum = z
  .enum(['cfonb120', 'camt053', 'both'], { message: 'cfonb120, camt053 ou both attendu' })
  .describe('Formats des relevés livrés : CFONB120, ISO 20022 camt.053, ou les deux');
export const camtVersionEnum = z
  .enum(['08', '02'], { message: 'version camt.053 attendue : 08 (camt.053.001.08) ou 02 (camt.053.001.02)' })
  .describe('Version du camt.053 : 08 (camt.053.001.08) ou 02 (camt.053.001.02)');

export const companyOut = z
  .object({
    id: z.uuid(),
    portalAccountId: z.uuid(),
    portalAccountName: z.string(),
    siren: z.string(),
    nic: z.string().nullable(),
    siret: z.string().nullable(),
    name: z.string(),
    name2: z.string().nullable(),
    email: z.string().nullable(),
    periodicity: periodicityOut,
    autoLinks: z.boolean(),
    statementFormats: statementFormatsEnum,
    camtVersion: camtVersionEnum,
    active: z.boolean(),
    deactivatedAt: z.iso.datetime().nullable(),
    collection: z
      .enum(['success', 'error', 'none'])
      .describe('État de la collecte : une connexion active en erreur → error.'),
    accountCount: z.number().int(),
    emailBounce: z
      .object({ at: z.iso.datetime(), type: z.string(), reason: z.string(), details: z.string().nullable() })
      .nullable()
      .describe(
        'L’adresse du redevable a été rejetée définitivement (type Postmark, raison en français) : plus rien ne lui est envoyé tant qu’elle n’est pas modifiée ou réactivée.',
      ),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Company' });

export const deliveryStateEnum = z.enum(['queued', 'sent', 'delivered', 'delayed', 'bounced', 'failed', 'suppressed']);

export const deliveryOut = z
  .object({
    id: z.uuid(),
    to: z.string(),
    state: deliveryStateEnum,
    stateText: z.string().describe('L’état, en français'),
    reason: z.string().nullable().describe('Pourquoi, en français'),
    resend: z.boolean().describe('Un renvoi demandé depuis le portail'),
    queuedAt: z.iso.datetime(),
    sentAt: z.iso.datetime().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    bouncedAt: z.iso.datetime().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Delivery' });

/** Whether "Collecter maintenant" is possible on a connection now (api/collect-now.ts). */
export const collectAvailabilityOut = z
  .object({
    available: z.boolean(),
    refusal: z
      .enum(['inactive', 'user-action', 'cooldown'])
      .nullable()
      .describe('inactive : connexion désactivée ; user-action : en attente du redevable ; cooldown : délai en cours'),
    availableAt: z.iso.datetime().nullable().describe('Fin du délai entre deux collectes (cooldown)'),
    message: z.string().nullable().describe('La raison, en français'),
  })
  .meta({ id: 'CollectAvailability' });

export const bankAccountOut = z
  .object({
    id: z.uuid(),
    companyId: z.uuid(),
    connectionId: z.uuid(),
    company: z.object({ siren: z.string(), nic: z.string().nullable(), name: z.string(), portalAccountId: z.uuid() }),
    bankName: z.string().nullable(),
    iban: z.string().nullable(),
    bic: z.string().nullable(),
    label: z.string(),
    type: z.string(),
    currency: z.string(),
    active: z.boolean(),
    statement: z
      .object({ available: z.boolean(), reason: z.string().nullable() })
      .describe(
        'Relevé CFONB120 possible (un IBAN, ou un RIB français dans le numéro du compte) ; sinon la raison, et le compte ne peut pas être activé.',
      ),
    deactivatedAt: z.iso.datetime().nullable(),
    collectedUntil: isoDate.nullable(),
    connection: z.object({
      state: z.enum(['ok', 'error']),
      errorCode: z.string().nullable(),
      lastSyncAt: z.iso.datetime().nullable(),
      lastSuccessAt: z.iso.datetime().nullable(),
      collect: collectAvailabilityOut,
    }),
    link: z
      .object({ state: linkStateEnum, at: z.iso.datetime() })
      .nullable()
      .optional()
      .describe('Listes : état du dernier lien de la connexion (at = utilisation, sinon envoi).'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'BankAccount' });

export const statementStateEnum = z.enum(['success', 'running', 'failure']);

/** domain/balance-check.ts, as the API and the statement.issued webhook give it. */
export const balanceCheckOut = z
  .object({
    status: z.enum(['ok', 'break', 'unchecked']),
    opening: z.object({
      previousClosingBalance: z.string().nullable(),
      matches: z.boolean().nullable().describe('null : premier relevé du compte'),
      gap: z.string().nullable(),
    }),
    closing: z.object({
      bankBalance: z.string().nullable().describe('Solde comptable de la banque lu à la collecte'),
      bankBalanceAt: z.iso.datetime().nullable(),
      bookedAfterPeriodEnd: z.string().nullable().describe('Opérations comptabilisées après la fin de période'),
      expectedClosingBalance: z.string().nullable().describe('bankBalance - bookedAfterPeriodEnd'),
      matches: z.boolean().nullable().describe('null : solde de la banque inconnu'),
      gap: z.string().nullable(),
    }),
    message: z.string().nullable().describe('« Rupture de solde : écart de 12,34 € »'),
    details: z.array(z.string()),
  })
  .meta({ id: 'BalanceCheck' });

export const statementOut = z
  .object({
    id: z.uuid(),
    bankAccountId: z.uuid(),
    company: z.object({
      id: z.uuid(),
      siren: z.string(),
      nic: z.string().nullable(),
      name: z.string(),
      portalAccountId: z.uuid(),
      portalAccountName: z.string().describe('Le compte portail du redevable (principal ou secondaire)'),
    }),
    iban: z.string().nullable(),
    periodStart: isoDate,
    periodEnd: isoDate,
    receivedAt: z.iso.datetime(),
    state: statementStateEnum,
    transactionCount: z.number().int(),
    deletedCount: z.number().int(),
    currency: z.string(),
    openingBalance: z.string(),
    closingBalance: z.string(),
    errorMessage: z.string().nullable(),
    formats: z
      .array(z.enum(['cfonb120', 'camt053']))
      .describe('Formats livrés pour ce compte (choix du redevable ou du compte)'),
    camtVersion: camtVersionEnum,
    balanceCheck: balanceCheckOut.nullable().describe('Continuité des soldes (null : relevé en échec ou en cours)'),
  })
  .meta({ id: 'Statement' });

/** Exports of the lists: CSV (`;`, UTF-8) or Excel; at most this many rows. */
export const exportFormat = z.enum(['csv', 'xlsx'], { message: 'csv ou xlsx attendu' }).default('csv');
export const EXPORT_MAX_ROWS = 50_000;

/** A password chosen for a portal user (by the primary account, or by the user with an invitation). */
export const PASSWORD_MIN = 12;
export const password = z
  .string({ message: 'mot de passe attendu' })
  .min(PASSWORD_MIN, `au moins ${PASSWORD_MIN} caractères`)
  .max(200, 'au plus 200 caractères');
