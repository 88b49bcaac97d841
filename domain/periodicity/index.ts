/**
 * Periodicity of a company's statements (glossary: `Periodicity`), as in the import file (Annexe 1):
 *
 * | kind       | month                         | day                                        |
 * | ---------- | ----------------------------- | ------------------------------------------ |
 * | DAILY      | —                             | —                                          |
 * | WEEKLY     | —                             | 1 (dimanche) … 7 (samedi)                  |
 * | MONTHLY    | —                             | 1-28, or 0 = last day of the month         |
 * | QUARTERLY  | 1-3 (month within the quarter)| 1-28, or 0 = last day of the month         |
 * | SEMIANNUAL | 1-6 (month within the half)   | 1-28, or 0 = last day of the month         |
 * | ANNUAL     | 1-12                          | 1 to the month's length; 0 is not accepted |
 *
 * ANNUAL on 29 February is accepted; in a common year the statement falls on 28 February.
 * A field that the kind does not use must be absent (or null): it is reported, not ignored.
 *
 * Pure and zod-free (the schedule, imported by workflows, depends on it); the zod schema is in
 * `schema.ts`.
 */
export const PERIODICITY_KINDS = ['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'ANNUAL'] as const;
export type PeriodicityKind = (typeof PERIODICITY_KINDS)[number];

/** A valid periodicity: only the fields its kind uses. */
export type Periodicity =
  | { kind: 'DAILY' }
  | { kind: 'WEEKLY'; day: number }
  | { kind: 'MONTHLY'; day: number }
  | { kind: 'QUARTERLY' | 'SEMIANNUAL' | 'ANNUAL'; month: number; day: number };

/** What callers hold before validation (API bodies, database rows: absent fields may be null). */
export interface PeriodicityInput {
  kind: string;
  day?: number | null;
  month?: number | null;
}

export interface PeriodicityProblem {
  field: 'kind' | 'day' | 'month';
  reason: string;
}

/** Label used in e-mail subjects: "Relevé MENSUEL du compte bancaire …". */
export const PERIODICITY_LABELS: Record<PeriodicityKind, string> = {
  DAILY: 'QUOTIDIEN',
  WEEKLY: 'HEBDOMADAIRE',
  MONTHLY: 'MENSUEL',
  QUARTERLY: 'TRIMESTRIEL',
  SEMIANNUAL: 'SEMESTRIEL',
  ANNUAL: 'ANNUEL',
};

/** The names of the import file (Annexe 1, field 6). */
export const PERIODICITY_IMPORT_NAMES: Record<PeriodicityKind, string> = {
  DAILY: 'JOURNALIERE',
  WEEKLY: 'HEBDOMADAIRE',
  MONTHLY: 'MENSUELLE',
  QUARTERLY: 'TRIMESTRIELLE',
  SEMIANNUAL: 'SEMESTRIELLE',
  ANNUAL: 'ANNUELLE',
};

/** Feminine adjective, for sentences about "la périodicité" / "la collecte". */
const ADJECTIVES: Record<PeriodicityKind, string> = {
  DAILY: 'quotidienne',
  WEEKLY: 'hebdomadaire',
  MONTHLY: 'mensuelle',
  QUARTERLY: 'trimestrielle',
  SEMIANNUAL: 'semestrielle',
  ANNUAL: 'annuelle',
};

/** 1 = dimanche … 7 = samedi (the manual's numbering). */
export const WEEKDAY_NAMES = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'] as const;
export const MONTH_NAMES = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
] as const;
/** Longest length of each month (February: 29, see ANNUAL above). */
const MAX_MONTH_LENGTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const isKind = (k: unknown): k is PeriodicityKind => (PERIODICITY_KINDS as readonly unknown[]).includes(k);
const present = (v: number | null | undefined): v is number => v !== undefined && v !== null;

/** "de février", "d'avril", "d'août", "d'octobre". */
const ofMonth = (m: number) => {
  const name = MONTH_NAMES[m - 1]!;
  return /^[aeiouy]/.test(name) ? `d'${name}` : `de ${name}`;
};

/** Every problem of a periodicity, each naming its field, in French. Empty when valid. */
export function periodicityProblems(p: PeriodicityInput): PeriodicityProblem[] {
  const out: PeriodicityProblem[] = [];
  if (!isKind(p.kind)) {
    out.push({
      field: 'kind',
      reason: `La périodicité doit être l'une de : ${PERIODICITY_KINDS.join(', ')}`,
    });
    return out;
  }
  const adjective = ADJECTIVES[p.kind];
  const check = (field: 'day' | 'month', expected: boolean, valid: (v: number) => string | null) => {
    const v = field === 'day' ? p.day : p.month;
    const noun = field === 'day' ? 'Le jour' : 'Le mois';
    if (!expected) {
      if (present(v)) out.push({ field, reason: `${noun} n'est pas attendu pour une périodicité ${adjective}` });
      return;
    }
    if (!present(v)) out.push({ field, reason: `${noun} est obligatoire pour une périodicité ${adjective}` });
    else if (typeof v !== 'number' || !Number.isInteger(v))
      out.push({ field, reason: `${noun} doit être un nombre entier` });
    else {
      const reason = valid(v);
      if (reason) out.push({ field, reason });
    }
  };
  const between = (noun: string, v: number, min: number, max: number, detail: string) =>
    v >= min && v <= max ? null : `${noun} doit être compris entre ${min} et ${max}${detail}`;
  const dayOfMonth = (v: number) =>
    v >= 0 && v <= 28 ? null : 'Le jour doit être compris entre 1 et 28, ou 0 pour le dernier jour du mois';

  switch (p.kind) {
    case 'DAILY':
      check('month', false, () => null);
      check('day', false, () => null);
      break;
    case 'WEEKLY':
      check('month', false, () => null);
      check('day', true, (v) => between('Le jour', v, 1, 7, ' (1 = dimanche, 7 = samedi)'));
      break;
    case 'MONTHLY':
      check('month', false, () => null);
      check('day', true, dayOfMonth);
      break;
    case 'QUARTERLY':
      check('month', true, (v) => between('Le mois', v, 1, 3, ' (mois dans le trimestre)'));
      check('day', true, dayOfMonth);
      break;
    case 'SEMIANNUAL':
      check('month', true, (v) => between('Le mois', v, 1, 6, ' (mois dans le semestre)'));
      check('day', true, dayOfMonth);
      break;
    case 'ANNUAL': {
      check('month', true, (v) => between('Le mois', v, 1, 12, ''));
      const m = p.month;
      const knownMonth = present(m) && Number.isInteger(m) && m >= 1 && m <= 12;
      check('day', true, (v) =>
        knownMonth
          ? between(
              'Le jour',
              v,
              1,
              MAX_MONTH_LENGTH[m - 1]!,
              ` pour le mois ${ofMonth(m)}${m === 2 ? ' (le 29 devient le 28 les années non bissextiles)' : ''}`,
            )
          : between('Le jour', v, 1, 31, ''),
      );
      break;
    }
  }
  return out;
}

/** Validates and keeps only the fields the kind uses; `reason` joins every problem. */
export function checkPeriodicity(
  p: PeriodicityInput,
): { ok: true; value: Periodicity } | { ok: false; reason: string; problems: PeriodicityProblem[] } {
  const problems = periodicityProblems(p);
  if (problems.length) return { ok: false, reason: problems.map((e) => e.reason).join(' ; '), problems };
  return { ok: true, value: normalizeValid(p) };
}

/** Like `checkPeriodicity`, throwing a RangeError on an invalid one (for already-validated data). */
export function toPeriodicity(p: PeriodicityInput): Periodicity {
  const r = checkPeriodicity(p);
  if (!r.ok) throw new RangeError(`invalid periodicity ${JSON.stringify(p)}: ${r.reason}`);
  return r.value;
}

function normalizeValid(p: PeriodicityInput): Periodicity {
  const kind = p.kind as PeriodicityKind;
  switch (kind) {
    case 'DAILY':
      return { kind };
    case 'WEEKLY':
    case 'MONTHLY':
      return { kind, day: p.day! };
    default:
      return { kind, month: p.month!, day: p.day! };
  }
}

/** The flat shape of the database columns (unused fields null). */
export function periodicityFields(p: Periodicity): { kind: PeriodicityKind; day: number | null; month: number | null } {
  return { kind: p.kind, day: 'day' in p ? p.day : null, month: 'month' in p ? p.month : null };
}

const dayText = (day: number) => (day === 1 ? '1er' : String(day));
const ordinal = (n: number) => (n === 1 ? '1er' : `${n}e`);

/**
 * A sentence for screens and e-mails: "Quotidienne", "Hebdomadaire, le lundi", "Mensuelle, le 15",
 * "Mensuelle, le 1er", "Mensuelle, fin de mois", "Trimestrielle, le 10 du 2e mois du trimestre
 * (février, mai, août, novembre)", "Semestrielle, fin du 6e mois du semestre (juin, décembre)",
 * "Annuelle, le 31 décembre", "Annuelle, le 29 février (le 28 les années non bissextiles)".
 */
export function describePeriodicity(input: Periodicity | PeriodicityInput): string {
  const p = toPeriodicity(input);
  const title = ADJECTIVES[p.kind].charAt(0).toUpperCase() + ADJECTIVES[p.kind].slice(1);
  switch (p.kind) {
    case 'DAILY':
      return title;
    case 'WEEKLY':
      return `${title}, le ${WEEKDAY_NAMES[p.day - 1]}`;
    case 'MONTHLY':
      return p.day === 0 ? `${title}, fin de mois` : `${title}, le ${dayText(p.day)}`;
    case 'QUARTERLY':
    case 'SEMIANNUAL': {
      const span = p.kind === 'QUARTERLY' ? 3 : 6;
      const unit = p.kind === 'QUARTERLY' ? 'trimestre' : 'semestre';
      const months = Array.from({ length: 12 / span }, (_, i) => MONTH_NAMES[p.month - 1 + i * span]).join(', ');
      const when = p.day === 0 ? 'fin' : `le ${dayText(p.day)}`;
      return `${title}, ${when} du ${ordinal(p.month)} mois du ${unit} (${months})`;
    }
    case 'ANNUAL': {
      const leap = p.month === 2 && p.day === 29 ? ' (le 28 les années non bissextiles)' : '';
      return `${title}, le ${dayText(p.day)} ${MONTH_NAMES[p.month - 1]}${leap}`;
    }
  }
}

/**
 * Reads a kind written by people or files: the codes (DAILY…), the import file's names
 * (JOURNALIERE, MENSUELLE…), the e-mail labels (QUOTIDIEN, MENSUEL…) and their feminine forms;
 * case, accents and surrounding spaces do not matter. Null when unknown.
 */
export function parsePeriodicityKind(text: string): PeriodicityKind | null {
  const t = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toUpperCase();
  if (isKind(t)) return t;
  for (const kind of PERIODICITY_KINDS) {
    const names = [PERIODICITY_IMPORT_NAMES[kind], PERIODICITY_LABELS[kind], ADJECTIVES[kind].toUpperCase()];
    if (kind === 'DAILY') names.push('JOURNALIER', 'QUOTIDIENNE');
    if (names.includes(t)) return kind;
  }
  return null;
}
