/** The webview's flows, steps and sessions, and the parameters its URL carries (Powens' documented ones). */
import { CONNECTORS, type Connector } from '../catalog';
import type { AccountRow } from '../rows';

export type Flow = 'connect' | 'reconnect' | 'manage';
export type Step =
  | 'banks'
  | 'terms'
  | 'credentials'
  | 'otp'
  | 'decoupled'
  | 'webauth'
  | 'accounts'
  | 'contact'
  | 'action'
  | 'confirm'
  | 'manage';

export interface WebviewParams {
  flow: Flow;
  lang: string | null;
  client_id: string | null;
  redirect_uri: string | null;
  state: string | null;
  code: string | null;
  connector_ids: number[];
  connector_uuids: string[];
  account_types: string[];
  account_usages: string[];
  account_ibans: string[];
  connection_id: number | null;
  reset_credentials: boolean;
}

export interface SessionData {
  step: Step;
  userId?: number;
  anonymous?: boolean;
  connectorId?: number;
  website?: string;
  login?: string;
  connectionId?: number;
  deleted?: number[];
  notice?: string;
}

export interface Session {
  id: string;
  flow: Flow;
  params: WebviewParams;
  data: SessionData;
  finished: Date | null;
}

export type StepResult =
  | { kind: 'page'; session: Session; error?: string }
  | { kind: 'redirect'; url: string }
  | { kind: 'fatal'; message: string };

export type Form = Record<string, string | string[] | undefined>;

export const FLOWS: Flow[] = ['connect', 'reconnect', 'manage'];
export const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
export const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const list = (v: string | null) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function parseWebviewUrl(raw: string): WebviewParams | null {
  let url: URL;
  try {
    url = new URL(raw, 'http://sandbox.invalid');
  } catch {
    return null;
  }
  const m = /(?:\/webview|\/auth\/webview)(?:\/([a-z]{2}))?\/(connect|reconnect|manage)\/?$/.exec(url.pathname);
  if (!m) return null;
  return paramsFrom(m[2] as Flow, m[1] ?? null, url.searchParams);
}
export function paramsFrom(flow: Flow, lang: string | null, q: URLSearchParams): WebviewParams {
  return {
    flow,
    lang,
    client_id: q.get('client_id'),
    redirect_uri: q.get('redirect_uri'),
    state: q.get('state'),
    code: q.get('code'),
    connector_ids: list(q.get('connector_ids')).map(Number).filter(Number.isInteger),
    connector_uuids: list(q.get('connector_uuids')).map((u) => u.toLowerCase()),
    account_types: list(q.get('account_types')),
    account_usages: list(q.get('account_usages')),
    account_ibans: list(q.get('account_ibans')).map((s) => s.replace(/\s+/g, '').toUpperCase()),
    connection_id: q.get('connection_id') ? Number(q.get('connection_id')) : null,
    reset_credentials: q.get('reset_credentials') === 'true' || q.get('reset_credentials') === '1',
  };
}

/** The banks a connect webview offers: those of connector_uuids and connector_ids (all without either). */
export function offeredBanks(p: WebviewParams): Connector[] {
  const uuids = p.connector_uuids ?? [];
  if (uuids.length === 0 && p.connector_ids.length === 0) return CONNECTORS;
  return CONNECTORS.filter((c) => uuids.includes(c.uuid) || p.connector_ids.includes(c.id));
}

/** The accounts the account-choice page offers (account_types, account_usages and account_ibans restrict it). */
export function selectable(p: WebviewParams, accounts: AccountRow[]): AccountRow[] {
  const usages = p.account_usages ?? [];
  return accounts.filter(
    (a) =>
      (p.account_types.length === 0 || p.account_types.includes(a.type)) &&
      (usages.length === 0 || (a.usage !== null && usages.includes(a.usage))) &&
      (p.account_ibans.length === 0 || (a.iban !== null && p.account_ibans.includes(a.iban))),
  );
}
