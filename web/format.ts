/**
 * French formats for the screens: dates dd/mm/yyyy and times in Paris time, amounts with a
 * non-breaking thousands separator and a decimal comma ("1 234,56 €"), SIREN/IBAN grouping.
 */
import { formatIban } from '../domain/identifiers';

const PARIS = 'Europe/Paris';

const dateFmt = new Intl.DateTimeFormat('fr-FR', {
  timeZone: PARIS,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const timeFmt = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, hour: '2-digit', minute: '2-digit' });
const timeSecFmt = new Intl.DateTimeFormat('fr-FR', {
  timeZone: PARIS,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const toDate = (v: string | Date) => (typeof v === 'string' ? new Date(v) : v);

/** An instant as a Paris date: "05/09/2026". */
export function frDate(v: string | Date | null | undefined): string {
  if (!v) return '';
  return dateFmt.format(toDate(v));
}

/** An instant in Paris time: "05/09/2026 à 14:03" (with seconds on request). */
export function frDateTime(v: string | Date | null | undefined, seconds = false): string {
  if (!v) return '';
  const d = toDate(v);
  return `${dateFmt.format(d)} à ${(seconds ? timeSecFmt : timeFmt).format(d)}`;
}

/** The Paris time of an instant: "14:03". */
export function frTime(v: string | Date | null | undefined): string {
  if (!v) return '';
  return timeFmt.format(toDate(v));
}

/** A calendar day (YYYY-MM-DD, no time zone): "05/09/2026". */
export function frDay(v: string | null | undefined): string {
  if (!v) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : v;
}

/** "dd/mm/yyyy" (or "yyyy-mm-dd") typed by a user → "yyyy-mm-dd", or null when not a real date. */
export function parseFrDay(input: string): string | null {
  const v = input.trim();
  let y: number, m: number, d: number;
  let r = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (r) [d, m, y] = [Number(r[1]), Number(r[2]), Number(r[3])];
  else if ((r = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v))) [y, m, d] = [Number(r[1]), Number(r[2]), Number(r[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * A decimal string ("-1234.5") in French: "-1 234,50" (exact: no float), with the currency
 * symbol when given ("-1 234,50 €"). Narrow no-break space as thousands separator, as Intl does.
 */
export function frAmount(value: string | null | undefined, currency?: string, decimals = 2): string {
  if (value === null || value === undefined || value === '') return '';
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return value;
  const sign = m[1] === '-' && /[1-9]/.test(m[2]! + (m[3] ?? '')) ? '-' : '';
  const int = m[2]!.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  const frac = (m[3] ?? '').padEnd(decimals, '0').slice(0, Math.max(decimals, (m[3] ?? '').replace(/0+$/, '').length));
  const number = `${sign}${int}${frac ? `,${frac}` : ''}`;
  return currency ? `${number}\u00a0${currencySymbol(currency)}` : number;
}

function currencySymbol(code: string): string {
  try {
    const part = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: code })
      .formatToParts(0)
      .find((p) => p.type === 'currency');
    return part?.value ?? code;
  } catch {
    return code;
  }
}

export const frIban = (iban: string | null | undefined) => (iban ? formatIban(iban) : '');

/** A count as French writes it: "1 100" (a narrow no-break space between thousands). */
export const frCount = (n: number) => n.toLocaleString('fr-FR');

/** "1 compte bancaire", "3 comptes bancaires". */
export const plural = (n: number, one: string, many: string) => `${frCount(n)} ${n > 1 ? many : one}`;

/** A search’s count, "plus de 1 000 …" when the API stopped counting (`totalCapped`). */
export const pluralTotal = (list: { total: number; totalCapped?: boolean }, one: string, many: string) =>
  list.totalCapped ? `plus de ${plural(list.total, one, many)}` : plural(list.total, one, many);
