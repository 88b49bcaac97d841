/**
 * The JSON the sandbox answers, shaped like Powens' (powens-sdks specs, docs.powens.com). Zone-less
 * timestamps are Paris wall-clock time (time.ts), except the transactions' `*datetime` fields,
 * which Powens documents as UTC (null here, as in most real data).
 */
import { connectorById, currencyObject, type Connector } from './catalog';
import type { AccountRow, ConnectionRow, TransactionRow } from './rows';
import { formatPowensTimestamp } from './time';

const ts = (d: Date | null | undefined) => (d ? formatPowensTimestamp(d) : null);
const money = (cents: number | null | undefined) => (cents === null || cents === undefined ? null : cents / 100);

/** The bank's own message for a state (untranslated, as banks send them). */
export const BANK_MESSAGES: Record<string, string | null> = {
  wrongpass: 'Identifiant ou mot de passe incorrect.',
  passwordExpired: 'Votre mot de passe a expiré. Veuillez le modifier sur le site de votre banque.',
  additionalInformationNeeded: 'Veuillez saisir le code reçu par SMS.',
  actionNeeded: 'You need to confirm the connection on your bank website',
  SCARequired: 'Une authentification forte est requise.',
  webauthRequired: null,
  decoupled: 'Veuillez valider la connexion dans votre application bancaire.',
  websiteUnavailable: null,
  rateLimiting: null,
  bug: null,
};

export function connectorJson(c: Connector) {
  return {
    id: c.id,
    uuid: c.uuid,
    name: c.name,
    hidden: false,
    charged: true,
    code: null,
    beta: false,
    color: '0b3c5d',
    slug: c.name
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '')
      .slice(0, 8),
    sync_frequency: null,
    months_to_fetch: null,
    account_types: [...new Set(c.accounts)],
    siret: null,
    restricted: false,
    auth_mechanism: c.authMechanism,
    capabilities: ['bank', 'bankwealth'],
    categories: [],
    fields: c.fields.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      required: f.required,
      auth_mechanisms: [c.authMechanism],
      regex: f.regex ?? null,
      values: f.values ?? [],
    })),
  };
}

function fieldsFor(state: string | null, connector: Connector | undefined) {
  if (state === 'wrongpass' || state === 'passwordExpired')
    return (connector?.fields ?? [])
      .filter((f) => f.name !== 'website')
      .map((f) => ({ name: f.name, label: f.label, type: f.type, required: f.required }));
  if (state === 'additionalInformationNeeded')
    return [{ name: 'otp', label: 'Code reçu par SMS', type: 'text', required: true }];
  return null;
}

export function sourcesJson(c: ConnectionRow) {
  const connector = connectorById(c.id_connector);
  return [
    {
      id: c.id,
      id_connection: c.id,
      id_connector_source: c.id_connector,
      name: connector?.authMechanism === 'webauth' ? 'openapi' : 'directaccess',
      state: c.state,
      last_update: ts(c.last_update),
      disabled: null,
      created: ts(c.created),
      next_try: ts(c.next_try),
      access_expire: null,
      expire: null,
    },
  ];
}

export function connectionJson(c: ConnectionRow) {
  const connector = connectorById(c.id_connector);
  return {
    id: c.id,
    id_user: c.id_user,
    id_connector: c.id_connector,
    id_bank: c.id_connector,
    id_provider: c.id_connector,
    connector_uuid: connector?.uuid,
    state: c.state,
    error: c.state,
    error_message: c.error_message,
    fields: fieldsFor(c.state, connector),
    last_update: ts(c.last_update),
    created: ts(c.created),
    active: c.active,
    last_push: null,
    expire: null,
    next_try: ts(c.next_try),
  };
}

export function accountJson(a: AccountRow) {
  return {
    id: a.id,
    id_connection: a.id_connection,
    id_user: a.id_user,
    id_source: a.id_connection,
    id_parent: a.id_parent,
    number: a.number,
    webid: a.number,
    iban: a.iban,
    bic: a.bic,
    name: a.name,
    original_name: a.original_name,
    balance: money(a.balance_cents),
    coming: money(a.coming_cents),
    currency: currencyObject(a.currency),
    type: a.type,
    id_type: a.id_type,
    display: a.display,
    bookmarked: a.bookmarked,
    usage: a.usage,
    original_usage: a.usage,
    ownership: 'owner',
    company_name: a.company_name,
    last_update: ts(a.last_update),
    deleted: ts(a.deleted),
    disabled: ts(a.disabled),
    error: null,
    loan:
      a.type === 'loan'
        ? {
            total_amount: 300_000,
            available_amount: 0,
            used_amount: 300_000,
            subscription_date: '2019-06-14',
            maturity_date: '2039-06-14',
            next_payment_amount: 1_420.35,
            next_payment_date: null,
            rate: 1.35,
            nb_payments_left: null,
            nb_payments_done: null,
            nb_payments_total: 240,
            last_payment_amount: 1_420.35,
            last_payment_date: null,
            account_label: a.original_name,
            insurance_label: null,
            duration: 240,
            type: 'mortgage',
          }
        : null,
  };
}

export function transactionJson(t: TransactionRow) {
  const value = t.value_cents / 100;
  return {
    id: t.id,
    id_account: t.id_account,
    application_date: t.date,
    date: t.date,
    datetime: null,
    vdate: t.vdate,
    vdatetime: null,
    rdate: t.rdate,
    rdatetime: null,
    bdate: t.date,
    bdatetime: null,
    date_scraped: ts(t.date_scraped),
    value,
    gross_value: value,
    original_value: null,
    original_gross_value: null,
    original_currency: null,
    commission: null,
    commission_currency: null,
    type: t.type,
    original_wording: t.original_wording,
    simplified_wording: t.simplified_wording,
    stemmed_wording: t.simplified_wording,
    wording: null,
    categories: [],
    id_category: null,
    coming: t.coming,
    active: true,
    id_cluster: null,
    comment: null,
    card: t.card,
    counterparty: t.counterparty,
    country: null,
    last_update: ts(t.last_update),
    deleted: ts(t.deleted),
  };
}

export function userJson(id: number, created: Date) {
  return { id, signin: ts(created) };
}
