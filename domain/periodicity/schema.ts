/**
 * zod schema of a periodicity `{ kind, day?, month? }` (absent fields may also be null). Each error
 * names its field (`kind`, `day` or `month`, relative to the object) with a French reason; the
 * parsed value keeps only the fields its kind uses (`Periodicity`). Rules: `index.ts`.
 */
import { z } from 'zod';
import { PERIODICITY_KINDS, periodicityProblems, toPeriodicity, type Periodicity } from './index';

const KIND_REASON = `La périodicité doit être l'une de : ${PERIODICITY_KINDS.join(', ')}`;

export const periodicitySchema = z
  .object(
    {
      kind: z.enum(PERIODICITY_KINDS, {
        error: (issue) => (issue.input === undefined ? 'La périodicité (kind) est obligatoire' : KIND_REASON),
      }),
      day: z.number({ error: 'Le jour doit être un nombre entier' }).nullish(),
      month: z.number({ error: 'Le mois doit être un nombre entier' }).nullish(),
    },
    { error: 'La périodicité doit être un objet { kind, day, month }' },
  )
  .superRefine((p, ctx) => {
    for (const e of periodicityProblems(p)) ctx.addIssue({ code: 'custom', path: [e.field], message: e.reason });
  })
  .transform((p): Periodicity => toPeriodicity(p))
  .describe(
    'DAILY ; WEEKLY day 1 (dimanche) à 7 (samedi) ; MONTHLY day 1-28 ou 0 (fin de mois) ; ' +
      'QUARTERLY month 1-3 / SEMIANNUAL month 1-6, day 1-28 ou 0 ; ANNUAL month 1-12, day valide pour ce mois ' +
      '(29 février : le 28 les années non bissextiles).',
  );

export type PeriodicitySchemaInput = z.input<typeof periodicitySchema>;
