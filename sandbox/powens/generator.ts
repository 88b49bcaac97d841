/**
 * Each day's bank movements of an account, derived from the seed alone (pure): the same seed,
 * account and day always give the same transactions and the same fate for each of them:
 *  - `coming` ones (card payments mostly) are booked the next day, keeping their id ("update") or
 *    replaced by a new booked transaction ("replace"), or cancelled (deleted) instead;
 *  - a few booked ones are changed (label completed, amount corrected) or deleted a few days later.
 * The sync engine (sync.ts) applies these plans day by day.
 */
import type { AccountKind } from './catalog';
import { rng, type Rng } from './random';
import { addDays, weekday } from './time';

export interface TxPlan {
  book?: { on: string; mode: 'update' | 'replace' };
  change?: { on: string; field: 'wording' | 'value'; to: string | number };
  delete?: { on: string };
}

export interface TxSpec {
  genKey: string;
  date: string;
  rdate: string;
  vdate: string | null;
  valueCents: number;
  originalWording: string;
  simplifiedWording: string;
  type: string;
  coming: boolean;
  card: string | null;
  counterparty: { label: string; account_scheme_name: null; account_identification: null; type: string } | null;
  plan: TxPlan;
}

const MERCHANTS = [
  'CARREFOUR',
  'MONOPRIX',
  'SNCF INTERNET',
  'AMAZON EU',
  'TOTALENERGIES',
  'LEROY MERLIN',
  'BOULANGERIE PAUL',
  'FNAC',
  'IKEA',
  'UBER',
  'AIR FRANCE',
  'BUREAU VALLEE',
  'METRO CASH',
  'OVH SAS',
];
const CREDITORS = ['EDF', 'ORANGE SA', 'URSSAF', 'DGFIP', 'AXA FRANCE', 'BOUYGUES TELECOM', 'ENGIE', 'FREE PRO'];
const CUSTOMERS = ['SARL DURAND', 'SAS MARTIN ET FILS', 'CABINET LEROY', 'GARAGE PETIT', 'BOULANGERIE MOREAU'];
const SUPPLIERS = ['FOURNITURES DUPONT', 'TRANSPORTS BERNARD', 'IMPRIMERIE ROUX', 'LOCATION LAMBERT'];
const US_CUSTOMERS = ['ACME CORP', 'GLOBEX INC', 'INITECH LLC', 'UMBRELLA LTD'];
const CITIES = ['PARIS', 'LYON', 'LILLE', 'NANTES', 'SAINT-ETIENNE', 'BORDEAUX'];
const STOCKS = ['AIR LIQUIDE', 'TOTALENERGIES', 'LVMH', 'SANOFI', 'SCHNEIDER'];

const ddmm = (date: string) => `${date.slice(8, 10)}/${date.slice(5, 7)}`;
const amount = (r: Rng, min: number, max: number) => r.int(min, max);

interface Draft {
  w: number;
  type: string;
  comingShare: number;
  make(r: Rng, day: string): { wording: string; simplified: string; cents: number; counterparty?: string };
}

const checkingDrafts: Draft[] = [
  {
    w: 30,
    type: 'card',
    comingShare: 0.6,
    make: (r, day) => {
      const m = r.pick(MERCHANTS);
      return { wording: `CB ${m} ${ddmm(day)}`, simplified: m, cents: -amount(r, 350, 25_000) };
    },
  },
  {
    w: 12,
    type: 'order',
    comingShare: 0.1,
    make: (r) => {
      const c = r.pick(CREDITORS);
      return { wording: `PRLV SEPA ${c}`, simplified: c, cents: -amount(r, 2_000, 150_000), counterparty: c };
    },
  },
  {
    w: 16,
    type: 'transfer',
    comingShare: 0.1,
    make: (r) => {
      const c = r.pick(CUSTOMERS);
      return {
        wording: `VIR SEPA ${c} FACT ${r.int(1000, 9999)}`,
        simplified: c,
        cents: amount(r, 10_000, 800_000),
        counterparty: c,
      };
    },
  },
  {
    w: 10,
    type: 'transfer',
    comingShare: 0.1,
    make: (r) => {
      const s = r.pick(SUPPLIERS);
      return { wording: `VIR SEPA ${s}`, simplified: s, cents: -amount(r, 10_000, 500_000), counterparty: s };
    },
  },
  {
    w: 5,
    type: 'check',
    comingShare: 0,
    make: (r) => ({
      wording: `CHEQUE ${r.int(1_000_000, 9_999_999)}`,
      simplified: 'CHEQUE',
      cents: -amount(r, 5_000, 200_000),
    }),
  },
  {
    w: 4,
    type: 'deposit',
    comingShare: 0,
    make: (r) => ({
      wording: `REMISE CHEQUES N${r.int(100, 999)}`,
      simplified: 'REMISE CHEQUES',
      cents: amount(r, 20_000, 500_000),
    }),
  },
  {
    w: 4,
    type: 'withdrawal',
    comingShare: 0.3,
    make: (r, day) => ({
      wording: `RETRAIT DAB ${ddmm(day)} ${r.pick(CITIES)}`,
      simplified: 'RETRAIT DAB',
      cents: -r.pick([2_000, 4_000, 5_000, 10_000, 20_000, 30_000]),
    }),
  },
  {
    w: 2,
    type: 'bank',
    comingShare: 0,
    make: (r) => ({ wording: 'FRAIS TENUE DE COMPTE', simplified: 'FRAIS BANCAIRES', cents: -amount(r, 500, 3_000) }),
  },
];

const usdDrafts: Draft[] = [
  {
    w: 3,
    type: 'transfer',
    comingShare: 0.1,
    make: (r) => {
      const c = r.pick(US_CUSTOMERS);
      return {
        wording: `VIR SWIFT ${c} INV ${r.int(10_000, 99_999)}`,
        simplified: c,
        cents: amount(r, 50_000, 2_000_000),
        counterparty: c,
      };
    },
  },
  {
    w: 2,
    type: 'transfer',
    comingShare: 0.1,
    make: (r) => ({
      wording: 'VIR SWIFT EMIS FOURNISSEUR',
      simplified: 'FOURNISSEUR',
      cents: -amount(r, 20_000, 900_000),
    }),
  },
  {
    w: 1,
    type: 'bank',
    comingShare: 0,
    make: (r) => ({ wording: 'COMMISSION SWIFT', simplified: 'COMMISSION', cents: -amount(r, 1_000, 4_000) }),
  },
];

const cardDrafts: Draft[] = [
  {
    w: 1,
    type: 'deferred_card',
    comingShare: 0.6,
    make: (r, day) => {
      const m = r.pick(MERCHANTS);
      return { wording: `CB ${m} ${ddmm(day)}`, simplified: m, cents: -amount(r, 500, 40_000) };
    },
  },
];

/** Monthly or occasional movements of the savings and investment accounts. */
function occasional(kind: AccountKind, r: Rng, day: string): Array<{ draft: Draft }> {
  const dom = Number(day.slice(8, 10));
  const once = (d: Draft) => [{ draft: d }];
  const booked = (type: string, f: Draft['make']): Draft => ({ w: 1, type, comingShare: 0, make: f });
  switch (kind) {
    case 'livret_a':
      if (dom === 1)
        return once(
          booked('transfer', (rr) => ({
            wording: 'VIR SEPA EPARGNE MENSUELLE',
            simplified: 'EPARGNE',
            cents: amount(rr, 10_000, 50_000),
          })),
        );
      if (day.endsWith('-12-31'))
        return once(
          booked('bank', (rr) => ({
            wording: 'INTERETS ANNUELS',
            simplified: 'INTERETS',
            cents: amount(rr, 500, 60_000),
          })),
        );
      if (dom === 15 && r.chance(0.2))
        return once(
          booked('transfer', (rr) => ({
            wording: 'VIR SEPA VERS COMPTE COURANT',
            simplified: 'VIREMENT',
            cents: -amount(rr, 10_000, 100_000),
          })),
        );
      return [];
    case 'lifeinsurance':
      return dom === 5
        ? once(
            booked('deposit', (rr) => ({
              wording: 'VERSEMENT PROGRAMME',
              simplified: 'VERSEMENT',
              cents: amount(rr, 20_000, 100_000),
            })),
          )
        : [];
    case 'securities':
      if (weekday(day) === 1 || weekday(day) === 7 || !r.chance(0.08)) return [];
      return once(
        booked('order', (rr) => {
          const s = rr.pick(STOCKS);
          const qty = rr.int(1, 40);
          return rr.chance(0.6)
            ? { wording: `ACHAT ${qty} ${s}`, simplified: s, cents: -amount(rr, 5_000, 400_000) }
            : { wording: `VENTE ${qty} ${s}`, simplified: s, cents: amount(rr, 5_000, 400_000) };
        }),
      );
    case 'pee':
      return dom === 28
        ? once(
            booked('deposit', (rr) => ({
              wording: 'ABONDEMENT ENTREPRISE',
              simplified: 'ABONDEMENT',
              cents: amount(rr, 5_000, 40_000),
            })),
          )
        : [];
    default:
      return [];
  }
}

/**
 * The transactions first seen on `day` for an account (their date is `day`), with their fate.
 * `volume` multiplies the daily counts (tests use it to get thousands of transactions).
 */
export function generateDay(
  seed: string,
  account: { id: number; kind: AccountKind; perDay: [number, number]; perWeekendDay: [number, number] },
  day: string,
  volume = 1,
): TxSpec[] {
  const r = rng(seed, `tx:${account.id}:${day}`);
  const weekend = weekday(day) === 1 || weekday(day) === 7;
  const [min, max] = weekend ? account.perWeekendDay : account.perDay;
  const drafts =
    account.kind === 'checking_eur' ? checkingDrafts : account.kind === 'checking_usd' ? usdDrafts : cardDrafts;
  const picks: Draft[] = [];
  if (max > 0) {
    const n = Math.round(r.int(min, max) * volume);
    for (let i = 0; i < n; i++) picks.push(r.weighted(drafts));
  }
  for (const o of occasional(account.kind, r, day)) picks.push(o.draft);
  if (account.kind === 'checking_eur' && Number(day.slice(8, 10)) === 5)
    picks.push({
      w: 1,
      type: 'summary_card',
      comingShare: 0,
      make: (rr) => ({
        wording: `FACTURE CARTE DEPENSES DU ${day.slice(5, 7)}/${day.slice(2, 4)}`,
        simplified: 'FACTURE CARTE',
        cents: -amount(rr, 10_000, 300_000),
      }),
    });

  const cardNumber = `XXXXXXXXXXXX${String(account.id % 10_000).padStart(4, '0')}`;
  return picks.map((draft, i) => {
    const made = draft.make(r, day);
    const coming = r.chance(draft.comingShare);
    const plan: TxPlan = {};
    if (coming) {
      if (r.chance(0.12)) plan.delete = { on: addDays(day, 1) };
      else plan.book = { on: addDays(day, 1), mode: r.chance(0.75) ? 'update' : 'replace' };
    } else {
      if (r.chance(0.04)) {
        const field = r.chance(0.5) ? 'wording' : 'value';
        const delta = Math.max(1, Math.round(Math.abs(made.cents) * 0.01 * r.next()));
        plan.change = {
          on: addDays(day, r.int(1, 4)),
          field,
          to: field === 'wording' ? `${made.wording} REF ${r.int(100_000, 999_999)}` : made.cents + delta,
        };
      }
      if (r.chance(0.025)) plan.delete = { on: addDays(day, r.int(plan.change ? 5 : 1, plan.change ? 7 : 3)) };
    }
    const isCard = draft.type === 'card' || draft.type === 'deferred_card';
    return {
      genKey: `${day}#${i}`,
      date: day,
      rdate: day,
      vdate: coming ? null : draft.type === 'deposit' ? addDays(day, 1) : day,
      valueCents: made.cents,
      originalWording: made.wording,
      simplifiedWording: made.simplified,
      type: draft.type,
      coming,
      card: isCard ? cardNumber : null,
      counterparty: made.counterparty
        ? {
            label: made.counterparty,
            account_scheme_name: null,
            account_identification: null,
            type: made.cents < 0 ? 'creditor' : 'debtor',
          }
        : null,
      plan,
    };
  });
}

/** The earliest pending event of a plan (null when nothing is planned). */
export function nextEvent(plan: TxPlan): string | null {
  const days = [plan.book?.on, plan.change?.on, plan.delete?.on].filter((d): d is string => !!d).sort();
  return days[0] ?? null;
}
