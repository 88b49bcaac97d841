/**
 * Balance continuity of a statement, proven from what was stored when it was issued (pure).
 *
 * Two checks, each compared at the currency's decimals (the CFONB and camt.053 files' precision):
 *  - opening: the statement's opening balance equals the previous statement's closing balance
 *    (unchecked for an account's first statement, which has none);
 *  - closing: the statement's closing balance equals the bank's booked balance as the collection
 *    read it (BankAccount.balance at balanceAt) minus the booked movements dated after the period
 *    end that we knew of then. The bank's balance includes everything booked up to the moment it
 *    was read, so what was booked after the period end has to come off it; coming (not booked)
 *    movements are in neither. Unchecked when Powens gave no balance.
 * A difference is a "rupture de solde": typically a movement the bank deleted or changed after it
 * was delivered (it stays in the earlier file, see the deleted-transactions CSV), or one the bank
 * booked without Powens showing it.
 */
import { minorUnits } from './cfonb120';
import { frDateTime } from './french';

export interface BalanceCheckInput {
  currency: string;
  /** Decimal strings, as stored (up to 4 decimals). */
  openingBalance: string;
  closingBalance: string;
  previousClosingBalance: string | null;
  bankBalance: string | null;
  bankBalanceAt: Date | string | null;
  bookedAfterPeriodEnd: string | null;
  /** YYYY-MM-DD. */
  periodEnd: string;
}

export interface BalanceCheck {
  /** ok: both checks that could be made hold; break: one does not; unchecked: neither could be made. */
  status: 'ok' | 'break' | 'unchecked';
  opening: {
    previousClosingBalance: string | null;
    /** null: first statement of the account. */
    matches: boolean | null;
    /** opening − previous closing, at the currency's decimals. */
    gap: string | null;
  };
  closing: {
    bankBalance: string | null;
    bankBalanceAt: string | null;
    bookedAfterPeriodEnd: string | null;
    /** bankBalance − bookedAfterPeriodEnd: what the closing balance should be. */
    expectedClosingBalance: string | null;
    /** null: no bank balance known. */
    matches: boolean | null;
    /** closing − expected, at the currency's decimals. */
    gap: string | null;
  };
  /** "Rupture de solde : écart de 12,34 €" (the largest gap), null when there is no break. */
  message: string | null;
  /** What was compared, in French, for each failed check. */
  details: string[];
}

const SCALE = 4;

/** An exact decimal string as an integer of 10^-SCALE units. */
function scaled(value: string): bigint {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`not a decimal: ${value}`);
  const frac = (m[3] ?? '').padEnd(SCALE, '0');
  if (frac.length > SCALE && /[1-9]/.test(frac.slice(SCALE))) throw new Error(`more than ${SCALE} decimals: ${value}`);
  const n = BigInt(m[2]! + frac.slice(0, SCALE));
  return m[1] === '-' ? -n : n;
}

/** Rounded (half away from zero) to `decimals`, in units of 10^-decimals. */
function toMinor(value: bigint, decimals: number): bigint {
  const div = 10n ** BigInt(SCALE - decimals);
  const abs = value < 0n ? -value : value;
  const q = (abs + div / 2n) / div;
  return value < 0n ? -q : q;
}

function decimalText(minor: bigint, decimals: number): string {
  const abs = minor < 0n ? -minor : minor;
  const digits = abs.toString().padStart(decimals + 1, '0');
  const text = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return minor < 0n ? `-${text}` : text;
}

/** "1 234,56 €" (narrow no-break space between thousands, no-break space before the symbol). */
export function frMoney(value: string, currency: string): string {
  const [int, frac] = value.replace('-', '').split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  let symbol = currency;
  try {
    symbol =
      new Intl.NumberFormat('fr-FR', { style: 'currency', currency })
        .formatToParts(0)
        .find((p) => p.type === 'currency')?.value ?? currency;
  } catch {
    // an unknown code stays as is
  }
  return `${value.startsWith('-') ? '-' : ''}${grouped}${frac ? `,${frac}` : ''}\u00a0${symbol}`;
}

const frDay = (iso: string) => iso.slice(0, 10).split('-').reverse().join('/');

export function balanceCheck(input: BalanceCheckInput): BalanceCheck {
  const decimals = minorUnits(input.currency) ?? 2;
  const fmt = (v: bigint) => decimalText(v, decimals);
  const money = (v: bigint) => frMoney(fmt(v), input.currency);
  const opening = toMinor(scaled(input.openingBalance), decimals);
  const closing = toMinor(scaled(input.closingBalance), decimals);
  const details: string[] = [];
  const gaps: bigint[] = [];

  let openingCheck: BalanceCheck['opening'] = { previousClosingBalance: null, matches: null, gap: null };
  if (input.previousClosingBalance !== null) {
    const previous = toMinor(scaled(input.previousClosingBalance), decimals);
    const gap = opening - previous;
    openingCheck = { previousClosingBalance: fmt(previous), matches: gap === 0n, gap: fmt(gap) };
    if (gap !== 0n) {
      gaps.push(gap);
      details.push(
        `Le solde d’ouverture (${money(opening)}) diffère du solde de clôture du relevé précédent (${money(previous)}).`,
      );
    }
  }

  let closingCheck: BalanceCheck['closing'] = {
    bankBalance: null,
    bankBalanceAt: null,
    bookedAfterPeriodEnd: null,
    expectedClosingBalance: null,
    matches: null,
    gap: null,
  };
  if (input.bankBalance !== null) {
    const bank = scaled(input.bankBalance);
    const after = scaled(input.bookedAfterPeriodEnd ?? '0');
    const expected = toMinor(bank - after, decimals);
    const gap = closing - expected;
    const at = input.bankBalanceAt === null ? null : new Date(input.bankBalanceAt);
    closingCheck = {
      bankBalance: fmt(toMinor(bank, decimals)),
      bankBalanceAt: at?.toISOString() ?? null,
      bookedAfterPeriodEnd: fmt(toMinor(after, decimals)),
      expectedClosingBalance: fmt(expected),
      matches: gap === 0n,
      gap: fmt(gap),
    };
    if (gap !== 0n) {
      gaps.push(gap);
      details.push(
        `Le solde de clôture (${money(closing)}) diffère du solde comptable de la banque` +
          `${at ? ` lu le ${frDateTime(at)}` : ''} (${money(toMinor(bank, decimals))})` +
          (after !== 0n
            ? ` diminué des opérations comptabilisées après le ${frDay(input.periodEnd)} (${money(toMinor(after, decimals))}), soit ${money(expected)}.`
            : '.'),
      );
    }
  }

  const checked = openingCheck.matches !== null || closingCheck.matches !== null;
  const largest = gaps.reduce<bigint | null>(
    (acc, g) => (acc === null || (g < 0n ? -g : g) > (acc < 0n ? -acc : acc) ? g : acc),
    null,
  );
  return {
    status: largest !== null ? 'break' : checked ? 'ok' : 'unchecked',
    opening: openingCheck,
    closing: closingCheck,
    message: largest === null ? null : `Rupture de solde : écart de ${money(largest < 0n ? -largest : largest)}`,
    details,
  };
}

/** Whether the stored figures make a break (what Statement.balanceBreak records). */
export const isBalanceBreak = (input: BalanceCheckInput) => balanceCheck(input).status === 'break';
