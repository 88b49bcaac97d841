/** Row types of the sandbox tables and their SELECT lists (dates read as text: no host zone). */
import type { TxPlan } from './generator';

export interface ConnectionRow {
  id: number;
  id_user: number;
  id_connector: number;
  state: string | null;
  error_message: string | null;
  forced_state: string | null;
  forced_remaining: number | null;
  created: Date;
  last_update: Date | null;
  last_attempt: Date | null;
  next_try: Date | null;
  active: boolean;
  website: string;
  login: string | null;
  contact: { company?: string; siren?: string; email?: string; phone?: string } | null;
  syncs: number;
}

export interface AccountRow {
  id: number;
  id_connection: number;
  id_user: number;
  id_parent: number | null;
  kind: string;
  position: number;
  name: string;
  original_name: string;
  number: string | null;
  iban: string | null;
  bic: string | null;
  type: string;
  id_type: number;
  currency: string;
  usage: string | null;
  company_name: string | null;
  opening_cents: number;
  balance_cents: number | null;
  coming_cents: number | null;
  created: Date;
  disabled: Date | null;
  deleted: Date | null;
  last_update: Date | null;
  generated_through: string;
  display: boolean;
  bookmarked: boolean;
}

export interface HistoryEntry {
  event: 'created' | 'booked' | 'replaced' | 'changed' | 'deleted';
  /** The bank day the event belongs to. */
  day: string;
  /** When the sandbox saw it (ISO instant, sandbox clock). */
  at: string;
  field?: string;
  from?: string | number;
  to?: string | number;
  replacedBy?: number | null;
}

export interface TransactionRow {
  id: number;
  id_account: number;
  gen_key: string;
  date: string;
  rdate: string;
  vdate: string | null;
  value_cents: number;
  original_wording: string;
  simplified_wording: string;
  type: string;
  coming: boolean;
  card: string | null;
  counterparty: object | null;
  date_scraped: Date;
  last_update: Date;
  deleted: Date | null;
  plan: TxPlan;
  next_event: string | null;
  replaces: number | null;
  history: HistoryEntry[];
}

export const CONNECTION_COLUMNS = `id, id_user, id_connector, state, error_message, forced_state, forced_remaining, created,
  last_update, last_attempt, next_try, active, website, login, contact, syncs`;

export const ACCOUNT_COLUMNS = `id, id_connection, id_user, id_parent, kind, position, name, original_name, number, iban,
  bic, type, id_type, currency, usage, company_name, opening_cents::float8 AS opening_cents,
  balance_cents::float8 AS balance_cents, coming_cents::float8 AS coming_cents, created, disabled, deleted, last_update,
  generated_through::text AS generated_through, display, bookmarked`;

export const TRANSACTION_COLUMNS = `id, id_account, gen_key, date::text AS date, rdate::text AS rdate,
  vdate::text AS vdate, value_cents::float8 AS value_cents, original_wording, simplified_wording, type, coming, card,
  counterparty, date_scraped, last_update, deleted, plan, next_event::text AS next_event, replaces, history`;

/** Prefixes every column of a SELECT list with a table alias. */
export function qualified(columns: string, alias: string): string {
  return columns
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');
}
