/** Shapes returned by the API (as the pages use them) and the small pieces several pages share. */
import type { Request, Response } from 'express';
import { describePeriodicity, type PeriodicityInput } from '../../domain/identifiers';
import { stateMessageFr } from '../../domain/powens-states';
import { problemOf, type Problem } from '../api-client';
import { portalContext, safeReturn, setFlash, type PortalContext } from '../context';
import { frDateTime } from '../format';
import { html, qs, type Html } from '../html';
import { badge, field, page, send } from '../layout';
import type { BalanceCheck } from '../../domain/balance-check';

/** A statement's balance check as the API gives it (domain/balance-check.ts). */
export type { BalanceCheck };

export const str = (v: unknown) => (typeof v === 'string' ? v : '');
export const csrfOf = (req: Request) => str(req.body?._csrf);

export interface Link {
  id: string;
  kind: 'add-accounts' | 'update-credentials';
  connectionId: string | null;
  recipient: string;
  automatic: boolean;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
  state: 'valid' | 'used' | 'expired';
}

export interface BankAccount {
  id: string;
  companyId: string;
  connectionId: string;
  company: { siren: string; nic: string | null; name: string; portalAccountId: string };
  bankName: string | null;
  iban: string | null;
  bic: string | null;
  label: string;
  type: string;
  currency: string;
  active: boolean;
  /** Whether a CFONB120 statement is possible (an IBAN or a French RIB), else why not. */
  statement: { available: boolean; reason: string | null };
  deactivatedAt: string | null;
  collectedUntil: string | null;
  connection: {
    state: 'ok' | 'error';
    errorCode: string | null;
    lastSyncAt: string | null;
    lastSuccessAt: string | null;
    collect: CollectAvailability;
  };
  link?: { state: 'valid' | 'used' | 'expired'; at: string } | null;
  createdAt: string;
}

/** Whether "Collecter maintenant" is possible now (api/collect-now.ts). */
export interface CollectAvailability {
  available: boolean;
  refusal: 'inactive' | 'user-action' | 'cooldown' | null;
  availableAt: string | null;
  message: string | null;
}

/** GET /connections/{id}. */
export interface Connection {
  id: string;
  companyId: string;
  company: { id: string; name: string; siren: string; portalAccountId: string; periodicity: Company['periodicity'] };
  bankName: string | null;
  active: boolean;
  state: string | null;
  stateMessage: string;
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  accounts: Array<{ id: string; label: string; iban: string | null }>;
  collect: CollectAvailability;
  intermediateStatement: { until: string; nextStart: string; nextEnd: string; periodicity: string; text: string };
}

/** POST /connections/{id}/collect. */
export interface CollectResult {
  outcome: 'delivered' | 'no-workflow' | 'unavailable';
  statementIds: string[];
  collected: number | null;
  state: string | null;
  stateMessage: string;
  statementUntil: string | null;
  availableAt: string;
}

export interface Company {
  id: string;
  portalAccountId: string;
  portalAccountName: string;
  siren: string;
  nic: string | null;
  siret: string | null;
  name: string;
  name2: string | null;
  email: string | null;
  periodicity: { kind: string; day: number | null; month: number | null };
  autoLinks: boolean;
  statementFormats: 'cfonb120' | 'camt053' | 'both';
  camtVersion: '08' | '02';
  active: boolean;
  deactivatedAt: string | null;
  collection: 'success' | 'error' | 'none';
  accountCount: number;
  /** The company's address bounced for good: nothing is sent to it until changed or reactivated. */
  emailBounce: { at: string; type: string; reason: string; details: string | null } | null;
  createdAt: string;
}

/** "⚠ Adresse rejetée le 04/12/2026 : adresse inexistante…" */
export function emailBounceBadge(b: Company['emailBounce']): Html {
  if (!b) return html``;
  return html`<span class="badge error"><span aria-hidden="true">⚠</span> Adresse e-mail rejetée</span>
    <small class="reason">le ${frDateTime(b.at)} : ${b.reason}</small>`;
}

export interface Statement {
  id: string;
  bankAccountId: string;
  company: {
    id: string;
    siren: string;
    nic: string | null;
    name: string;
    portalAccountId: string;
    portalAccountName: string;
  };
  iban: string | null;
  periodStart: string;
  periodEnd: string;
  receivedAt: string;
  state: 'success' | 'running' | 'failure';
  transactionCount: number;
  deletedCount: number;
  currency: string;
  openingBalance: string;
  closingBalance: string;
  errorMessage: string | null;
  formats: Array<'cfonb120' | 'camt053'>;
  camtVersion: '08' | '02';
  balanceCheck: BalanceCheck | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  /** Companies, bank accounts and statements: the count stopped at `total` (there are at least that many). */
  totalCapped?: boolean;
  /** Companies, bank accounts and statements: the cursor of the next page (`after`), null at the end. */
  nextAfter?: string | null;
  limit: number;
  offset: number;
}

/** One page of a list search (`offset` from the query string); an empty page and the problem on error. */
export async function searchPage<T>(
  ctx: PortalContext,
  req: Request,
  path: string,
  query: Record<string, string | undefined>,
  limit: number,
) {
  const offset = Math.max(0, Number(req.query.offset) || 0);
  const r = await ctx.api.call<Page<T>>('GET', path, { query: { ...query, limit, offset } });
  const problem = r.ok ? null : problemOf(r);
  const list: Page<T> = r.ok ? r.body : { items: [], total: 0, limit, offset: 0 };
  return { r, offset, problem, list };
}

/** The SIRET, raison sociale and IBAN criteria of the search forms (companies, accounts, statements). */
export function companyCriteria(q: { siret: string; name: string; iban: string }, e: Map<string, string>): Html {
  return html`${field({ name: 'siret', label: 'SIRET', value: q.siret, error: e.get('siret'), attrs: 'inputmode="numeric"' })}
  ${field({ name: 'name', label: 'Raison sociale', value: q.name, error: e.get('name') })}
  ${field({ name: 'iban', label: 'IBAN', value: q.iban, error: e.get('iban') })}`;
}

export function periodicityText(p: Company['periodicity']): string {
  try {
    return describePeriodicity(p as PeriodicityInput);
  } catch {
    return p.kind;
  }
}

export function connectionBadge(a: BankAccount): Html {
  if (a.connection.state === 'ok') return badge('ok', 'Connexion active', a.connection.lastSyncAt);
  return html`${badge('error', 'Connexion en erreur', a.connection.lastSyncAt)}<small class="reason"
      >${stateMessageFr(a.connection.errorCode)}</small
    >`;
}

export function collectBadge(a: BankAccount): Html {
  if (!a.connection.lastSuccessAt) return badge('neutral', 'Aucune collecte');
  return badge(a.connection.state === 'ok' ? 'ok' : 'warn', 'Collecte', a.connection.lastSuccessAt);
}

export const LINK_KIND: Record<Link['kind'], string> = {
  'add-accounts': 'Ajout de nouveaux comptes bancaires',
  'update-credentials': 'Mise à jour des identifiants bancaires',
};

export const STATEMENT_STATE: Record<Statement['state'], [Parameters<typeof badge>[0], string]> = {
  success: ['ok', 'Succès'],
  running: ['warn', 'En cours'],
  failure: ['error', 'Échec'],
};

export const siretText = (c: { siren: string; nic: string | null }) => (c.nic ? `${c.siren} ${c.nic}` : c.siren);

/** Name of the portal account owning a resource (primary accounts see their secondaries'). */
export function accountName(ctx: PortalContext, portalAccountId: string): string {
  if (portalAccountId === ctx.me.portalAccount.id) return ctx.me.portalAccount.name;
  return ctx.me.secondaryAccounts.find((a) => a.id === portalAccountId)?.name ?? '';
}

export const when = (iso: string | null | undefined) =>
  iso ? html`<time datetime="${iso}">${frDateTime(iso)}</time>` : '';

/** "Exporter : CSV · Excel" with the search's own criteria. */
export function exportLinks(base: string, q: Record<string, string | undefined>): Html {
  return html`<p class="toolbar export">
    Exporter la recherche :
    <a class="button small" href="${base}.csv${qs(q)}" download>CSV</a>
    <a class="button small" href="${base}.xlsx${qs(q)}" download>Excel (.xlsx)</a>
  </p>`;
}

/** After a POST action: flash the outcome and go back where the user was (404 stays a 404 page). */
export function actionDone(req: Request, res: Response, problem: Problem | null, done: string, fallback: string) {
  if (problem?.status === 404) {
    const ctx = portalContext(res);
    return send(
      res,
      page(ctx, {
        title: 'Page introuvable',
        body: html`<div class="flash error" role="alert"><p>${problem.detail}</p></div>`,
      }),
      404,
    );
  }
  setFlash(res, problem ? { kind: 'error', text: problem.detail } : { kind: 'ok', text: done });
  res.redirect(303, safeReturn(req.body?.retour, fallback));
}
