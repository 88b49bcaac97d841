/**
 * What a company is made of on input: the JSON body of POST/PATCH /companies and a line of the
 * import file (Annexe 1) share the same rules (SIREN/SIRET keys, name lengths, periodicity).
 */
import { z } from 'zod';
import type { Db } from '../db/client';
import { frenchErrors, zodFieldErrors } from './http';
import { camtVersionEnum, statementFormatsEnum } from './schemas';
import { isValidSiren, isValidSiret, periodicityProblems, type PeriodicityInput } from '../domain/identifiers';

const digits = (v: string) => v.replace(/[\s.]/g, '');

export const sirenIn = z
  .string({ message: 'SIREN attendu (9 chiffres)' })
  .transform(digits)
  .superRefine((v, ctx) => {
    if (!/^\d{9}$/.test(v)) ctx.addIssue({ code: 'custom', message: 'SIREN invalide : 9 chiffres attendus' });
    else if (!isValidSiren(v))
      ctx.addIssue({ code: 'custom', message: 'SIREN invalide : clé de contrôle (Luhn) incorrecte' });
  });

export const nicIn = z
  .string({ message: 'NIC attendu (5 chiffres)' })
  .transform(digits)
  .refine((v) => /^\d{5}$/.test(v), 'NIC invalide : 5 chiffres attendus');

const nameIn = (what: string) =>
  z
    .string({ message: `${what} attendue` })
    .trim()
    .min(1, `${what} obligatoire`)
    .max(35, `${what} : 35 caractères au plus`);

export const PERIODICITY_KINDS = ['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'ANNUAL'] as const;

export const periodicityIn = z
  .object({
    kind: z.enum(PERIODICITY_KINDS, {
      message: 'périodicité attendue : DAILY, WEEKLY, MONTHLY, QUARTERLY, SEMIANNUAL ou ANNUAL',
    }),
    day: z.number({ message: 'nombre entier attendu' }).int('nombre entier attendu').nullable().optional(),
    month: z.number({ message: 'nombre entier attendu' }).int('nombre entier attendu').nullable().optional(),
  })
  .superRefine((p, ctx) => {
    for (const e of periodicityProblems(p)) ctx.addIssue({ code: 'custom', path: [e.field], message: e.reason });
  })
  .describe(
    'DAILY ; WEEKLY day 1 (dimanche) à 7 (samedi) ; MONTHLY day 1-28 ou 0 (fin de mois) ; QUARTERLY month 1-3 / SEMIANNUAL month 1-6 et day 1-28 ou 0 ; ANNUAL month 1-12 et day valide pour ce mois.',
  );

export function siretProblem(siren: string, nic: string | null | undefined): string | null {
  if (!nic || !/^\d{5}$/.test(nic) || !isValidSiren(siren)) return null;
  return isValidSiret(siren + nic) ? null : `SIRET ${siren}${nic} invalide : clé de contrôle incorrecte`;
}

const email = z.email({ message: 'adresse e-mail invalide' }).max(250, 'e-mail : 250 caractères au plus');

export const companyCreate = z
  .object({
    siren: sirenIn,
    nic: nicIn.optional(),
    name: nameIn('Raison sociale'),
    name2: nameIn('Suite de la raison sociale').optional(),
    email,
    periodicity: periodicityIn,
    autoLinks: z
      .boolean({ message: 'booléen attendu' })
      .optional()
      .describe('false : ne pas envoyer automatiquement le lien de mise à jour des identifiants'),
    statementFormats: statementFormatsEnum.optional(),
    camtVersion: camtVersionEnum.optional(),
  })
  .superRefine((c, ctx) => {
    const bad = typeof c.siren === 'string' && typeof c.nic === 'string' ? siretProblem(c.siren, c.nic) : null;
    if (bad) ctx.addIssue({ code: 'custom', path: ['nic'], message: bad });
  })
  .meta({ id: 'CompanyCreate' });

export const companyPatch = z
  .object({
    siren: sirenIn.optional(),
    nic: nicIn.nullable().optional(),
    name: nameIn('Raison sociale').optional(),
    name2: nameIn('Suite de la raison sociale').nullable().optional(),
    email: email.optional(),
    periodicity: periodicityIn.optional(),
    autoLinks: z.boolean({ message: 'booléen attendu' }).optional(),
    statementFormats: statementFormatsEnum.optional(),
    camtVersion: camtVersionEnum.optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'au moins un champ à modifier' })
  .meta({ id: 'CompanyPatch' });

export async function sirenTaken(prisma: Db, rootAccountId: string, siren: string): Promise<boolean> {
  return (await prisma.company.count({ where: { rootAccountId, siren } })) > 0;
}

// ---- import lines (Annexe 1) ---------------------------------------------------------------------

export interface ImportedCompany {
  line: number;
  siren: string;
  nic: string | null;
  name: string;
  name2: string | null;
  email: string | null;
  periodicity: PeriodicityInput;
  remoteCredentials: boolean;
}

const FIELDS = ['siren', 'nic', 'name', 'name2', 'email', 'periodicity', 'month', 'day', 'remoteCredentials'] as const;
const PERIODICITY_FR: Record<string, PeriodicityInput['kind']> = {
  JOURNALIERE: 'DAILY',
  JOURNALIER: 'DAILY',
  QUOTIDIENNE: 'DAILY',
  HEBDOMADAIRE: 'WEEKLY',
  MENSUELLE: 'MONTHLY',
  MENSUEL: 'MONTHLY',
  TRIMESTRIELLE: 'QUARTERLY',
  TRIMESTRIEL: 'QUARTERLY',
  SEMESTRIELLE: 'SEMIANNUAL',
  SEMESTRIEL: 'SEMIANNUAL',
  ANNUELLE: 'ANNUAL',
  ANNUEL: 'ANNUAL',
};

type LineError = { column: number; field: string; reason: string };

/** Checks one record of the import file: every problem is reported with its column and field. */
export function importLineProblems(
  record: string[],
): { ok: true; company: Omit<ImportedCompany, 'line'> } | { ok: false; errors: LineError[] } {
  if (record.length !== 9) {
    return {
      ok: false,
      errors: [
        { column: 0, field: '(ligne)', reason: `9 champs séparés par « ; » attendus, ${record.length} trouvé(s)` },
      ],
    };
  }
  const f = record.map((v) => v.trim());
  const errors: LineError[] = [];
  const err = (i: number, reason: string) => errors.push({ column: i + 1, field: FIELDS[i]!, reason });
  const check = <T>(i: number, schema: z.ZodType<T>, value: unknown): T | undefined => {
    const r = schema.safeParse(value, { error: frenchErrors });
    if (r.success) return r.data;
    for (const e of zodFieldErrors(r.error)) err(i, e.reason);
    return undefined;
  };
  const siren = check(0, sirenIn, f[0]);
  const nic = f[1] ? check(1, nicIn, f[1]) : null;
  if (siren && nic) {
    const bad = siretProblem(siren, nic);
    if (bad) err(1, bad);
  }
  const name = check(2, nameIn('Raison sociale'), f[2]);
  const name2 = f[3] ? check(3, nameIn('Suite de la raison sociale'), f[3]) : null;
  const mail = f[4] ? check(4, email, f[4]) : null;
  const kind =
    PERIODICITY_FR[
      f[5]!
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .toUpperCase()
    ];
  if (!kind)
    err(
      5,
      f[5]
        ? `périodicité inconnue « ${f[5]} » : JOURNALIERE, HEBDOMADAIRE, MENSUELLE, TRIMESTRIELLE, SEMESTRIELLE ou ANNUELLE`
        : 'périodicité obligatoire',
    );
  const num = (i: number): number | null | undefined => {
    if (!f[i]) return null;
    if (!/^\d{1,2}$/.test(f[i]!)) {
      err(i, 'nombre entier attendu');
      return undefined;
    }
    return Number(f[i]);
  };
  const month = num(6);
  const day = num(7);
  if (kind && month !== undefined && day !== undefined) {
    for (const p of periodicityProblems({ kind, month, day })) err(p.field === 'month' ? 6 : 7, p.reason);
  }
  let remote = false;
  if (f[8] === '1') remote = true;
  else if (f[8] !== '0') err(8, f[8] ? 'saisie déportée : 0 ou 1 attendu' : 'saisie déportée obligatoire (0 ou 1)');
  if (remote && !f[4]) err(4, 'e-mail obligatoire quand la saisie des identifiants est déportée (champ 9 = 1)');

  if (errors.length || !siren || !name || !kind || month === undefined || day === undefined)
    return { ok: false, errors };
  return {
    ok: true,
    company: {
      siren,
      nic: nic ?? null,
      name,
      name2: name2 ?? null,
      email: mail ?? null,
      periodicity: { kind, month, day },
      remoteCredentials: remote,
    },
  };
}
