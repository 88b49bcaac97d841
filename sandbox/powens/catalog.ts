/**
 * The sandbox's banks (connectors) and the accounts each one shows. "Connecteur de test" carries
 * the manual's accounts (Compte chèque, Compte chèque USD, Compte carte débit différé, Livret A,
 * Assurance Vie, Comptes titres, Plan d'épargne entreprise, Crédit Immobilier); the other banks
 * exercise the other authentication paths (one-time code, validation in the bank's app, redirect
 * to the bank). Connector 59 is the id the demo data uses for "Connecteur de test".
 */
import { uuidFor } from './random';

export type AuthStep = 'none' | 'otp' | 'decoupled' | 'webauth';

export interface ConnectorField {
  name: string;
  label: string;
  type: 'text' | 'password' | 'list';
  required: boolean;
  values?: Array<{ value: string; label: string }>;
  regex?: string;
}

export interface Connector {
  id: number;
  uuid: string;
  name: string;
  /** Powens `auth_mechanism`. */
  authMechanism: 'credentials' | 'webauth';
  /** What the bank asks after the credentials, at the first connection. */
  extraStep: AuthStep;
  bankCode: string;
  branchCode: string;
  bic: string;
  /** Account kinds this bank shows with their French RIB in `number` and no IBAN (as some do). */
  ribOnly?: AccountKind[];
  fields: ConnectorField[];
  accounts: AccountKind[];
}

export type AccountKind =
  'checking_eur' | 'checking_usd' | 'card' | 'livret_a' | 'lifeinsurance' | 'securities' | 'pee' | 'mortgage';

export interface AccountTemplate {
  kind: AccountKind;
  name: string;
  type: string;
  idType: number;
  currency: 'EUR' | 'USD';
  /** Opening balance range, in cents. */
  opening: [number, number];
  /** Transactions per weekday and per Saturday/Sunday, before the volume factor. */
  perDay: [number, number];
  perWeekendDay: [number, number];
}

export const ACCOUNT_TEMPLATES: Record<AccountKind, AccountTemplate> = {
  checking_eur: {
    kind: 'checking_eur',
    name: 'Compte chèque',
    type: 'checking',
    idType: 2,
    currency: 'EUR',
    opening: [500_000, 5_000_000],
    perDay: [2, 7],
    perWeekendDay: [0, 2],
  },
  checking_usd: {
    kind: 'checking_usd',
    name: 'Compte chèque USD',
    type: 'checking',
    idType: 2,
    currency: 'USD',
    opening: [100_000, 2_000_000],
    perDay: [0, 2],
    perWeekendDay: [0, 0],
  },
  card: {
    kind: 'card',
    name: 'Compte carte débit différé',
    type: 'card',
    idType: 4,
    currency: 'EUR',
    opening: [0, 0],
    perDay: [0, 4],
    perWeekendDay: [0, 3],
  },
  livret_a: {
    kind: 'livret_a',
    name: 'Livret A',
    type: 'savings',
    idType: 1,
    currency: 'EUR',
    opening: [100_000, 2_295_000],
    perDay: [0, 0],
    perWeekendDay: [0, 0],
  },
  lifeinsurance: {
    kind: 'lifeinsurance',
    name: 'Assurance Vie',
    type: 'lifeinsurance',
    idType: 9,
    currency: 'EUR',
    opening: [1_000_000, 10_000_000],
    perDay: [0, 0],
    perWeekendDay: [0, 0],
  },
  securities: {
    kind: 'securities',
    name: 'Comptes titres',
    type: 'market',
    idType: 6,
    currency: 'EUR',
    opening: [500_000, 8_000_000],
    perDay: [0, 0],
    perWeekendDay: [0, 0],
  },
  pee: {
    kind: 'pee',
    name: "Plan d'épargne entreprise",
    type: 'pee',
    idType: 12,
    currency: 'EUR',
    opening: [200_000, 3_000_000],
    perDay: [0, 0],
    perWeekendDay: [0, 0],
  },
  mortgage: {
    kind: 'mortgage',
    name: 'Crédit Immobilier',
    type: 'loan',
    idType: 3,
    currency: 'EUR',
    opening: [-25_000_000, -8_000_000],
    perDay: [0, 0],
    perWeekendDay: [0, 0],
  },
};

const credentials = (passwordLabel: string): ConnectorField[] => [
  {
    name: 'website',
    label: 'Type de compte',
    type: 'list',
    required: true,
    values: [
      { value: 'par', label: 'Particuliers' },
      { value: 'pro', label: 'Professionnels' },
    ],
  },
  { name: 'login', label: 'Identifiant', type: 'text', required: true },
  { name: 'password', label: passwordLabel, type: 'password', required: true },
];

const u = (name: string) => uuidFor('catalog', name);

export const CONNECTORS: Connector[] = [
  {
    id: 59,
    uuid: u('Connecteur de test'),
    name: 'Connecteur de test',
    authMechanism: 'credentials',
    extraStep: 'none',
    bankCode: '13117',
    branchCode: '73318',
    bic: 'TESTFRPPXXX',
    fields: credentials('Code (1234)'),
    accounts: ['checking_eur', 'checking_usd', 'card', 'livret_a', 'lifeinsurance', 'securities', 'pee', 'mortgage'],
  },
  {
    id: 60,
    uuid: u('Crédit Fictif'),
    name: 'Crédit Fictif',
    authMechanism: 'credentials',
    extraStep: 'otp',
    bankCode: '30099',
    branchCode: '00100',
    bic: 'CFICFRPPXXX',
    fields: credentials('Mot de passe'),
    accounts: ['checking_eur', 'card', 'livret_a'],
  },
  {
    id: 61,
    uuid: u('Néobanque Démo'),
    name: 'Néobanque Démo',
    authMechanism: 'credentials',
    extraStep: 'decoupled',
    bankCode: '16798',
    branchCode: '00001',
    bic: 'NEODFRP2XXX',
    fields: credentials('Code secret'),
    accounts: ['checking_eur', 'checking_usd'],
  },
  {
    id: 62,
    uuid: u('Banque Exemple DSP2'),
    name: 'Banque Exemple DSP2',
    authMechanism: 'webauth',
    extraStep: 'webauth',
    bankCode: '17515',
    branchCode: '90000',
    bic: 'BEXAFRPPXXX',
    fields: [],
    accounts: ['checking_eur', 'card', 'livret_a', 'pee'],
    ribOnly: ['livret_a'],
  },
];

export function connectorById(id: number): Connector | undefined {
  return CONNECTORS.find((c) => c.id === id);
}

export function connectorByName(name: string): Connector | undefined {
  const n = name.trim().toLowerCase();
  return CONNECTORS.find((c) => c.name.toLowerCase() === n || String(c.id) === n || c.uuid === n);
}

/** The one-time code the sandbox's banks expect (shown on the page, like a test bank would). */
export const SANDBOX_OTP = '123456';
/** A password the test banks refuse (the webview shows "wrong credentials"). */
export const SANDBOX_WRONG_PASSWORD = 'wrongpass';

// ---- IBAN / RIB ----------------------------------------------------------------------------------
function mod97(digits: string): number {
  let r = 0;
  for (const ch of digits) r = (r * 10 + Number(ch)) % 97;
  return r;
}

/** French RIB key of bank(5) + branch(5) + account(11 digits). */
export function ribKey(bank: string, branch: string, account: string): string {
  const key = 97 - mod97(`${bank}${branch}${account}00`);
  return String(key).padStart(2, '0');
}

/** The French RIB (BBAN): bank, branch, account number and RIB key. */
export function frenchRib(bank: string, branch: string, account: string): string {
  return `${bank}${branch}${account}${ribKey(bank, branch, account)}`;
}

export function frenchIban(bank: string, branch: string, account: string): string {
  const bban = frenchRib(bank, branch, account);
  const check = 98 - mod97(`${bban}152700`); // "FR00" → F=15, R=27, 00
  return `FR${String(check).padStart(2, '0')}${bban}`;
}

export const CURRENCIES = {
  EUR: { id: 'EUR', symbol: '€', prefix: false, crypto: false, precision: 2, marketcap: null, name: 'Euro' },
  USD: { id: 'USD', symbol: '$', prefix: true, crypto: false, precision: 2, marketcap: null, name: 'US Dollar' },
  GBP: { id: 'GBP', symbol: '£', prefix: true, crypto: false, precision: 2, marketcap: null, name: 'Livre sterling' },
  CHF: { id: 'CHF', symbol: 'CHF', prefix: false, crypto: false, precision: 2, marketcap: null, name: 'Franc suisse' },
} as const;

export function currencyObject(code: string) {
  return (
    (CURRENCIES as Record<string, (typeof CURRENCIES)[keyof typeof CURRENCIES]>)[code] ?? {
      id: code,
      symbol: code,
      prefix: false,
      crypto: false,
      precision: 2,
      marketcap: null,
      name: code,
    }
  );
}

// ---- GET /connectors: the documented Connector object ---------------------------------------------
/**
 * Connectors in maintenance: every source of the connector disabled since that instant (Powens'
 * ConnectorSource `disabled`: "this source is ignored on synchronizing the connection"), set with
 * the admin API (`POST /__sandbox/connectors/{id}/maintenance`). Per process, like the catalogue.
 */
const maintenance = new Map<number, Date>();

export function setConnectorMaintenance(id: number, on: boolean, at = new Date()): void {
  if (on) maintenance.set(id, at);
  else maintenance.delete(id);
}

export const connectorInMaintenance = (id: number) => maintenance.has(id);

const sqlDateTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/** Brand colours of the sandbox's banks (Powens `color`, hex without #). */
const COLORS: Record<number, string> = { 59: '0b3c5d', 60: 'c8102e', 61: '6c3fd1', 62: '00856f' };

/**
 * A connector as GET /connectors and GET /connectors/{id} document it (powens-sdks connectors.yml,
 * `Connector`): id (deprecated), uuid, name, hidden, charged, code, beta, color, slug,
 * capabilities, urls, sync_periodicity, months_to_fetch, auth_mechanism, transfer_mechanism, siret,
 * restricted; `fields`, `sources` and `countries` only when asked with `expand`.
 */
export function connectorDocumented(c: Connector, expand: ReadonlySet<string> = new Set()) {
  const disabledSince = maintenance.get(c.id);
  return {
    id: c.id,
    uuid: c.uuid,
    name: c.name,
    hidden: false,
    charged: true,
    code: c.bankCode,
    beta: false,
    color: COLORS[c.id] ?? '0b3c5d',
    slug: c.name
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '')
      .slice(0, 8),
    capabilities: ['bank'],
    urls: [`https://www.${c.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`],
    sync_periodicity: 1,
    months_to_fetch: 12,
    auth_mechanism: c.authMechanism,
    transfer_mechanism: null,
    siret: null,
    restricted: false,
    ...(expand.has('fields')
      ? {
          fields: c.fields.map((f) => ({
            name: f.name,
            type: f.type,
            auth_mechanisms: [c.authMechanism],
            label: f.label,
            description: null,
            required: f.required,
            regex: f.regex ?? null,
            values: f.values ?? null,
          })),
        }
      : {}),
    ...(expand.has('sources')
      ? {
          sources: [
            {
              id: c.id * 10 + 1,
              id_connector: c.id,
              name: c.authMechanism === 'webauth' ? 'openapi' : 'directaccess',
              auth_mechanism: c.authMechanism,
              disabled: disabledSince ? sqlDateTime(disabledSince) : null,
              priority: 1,
            },
          ],
        }
      : {}),
    ...(expand.has('countries') ? { countries: [{ id: 'FR', name: 'France' }] } : {}),
  };
}

/** The `expand` query parameter (comma-separated). */
export function expandOf(value: unknown): Set<string> {
  return new Set(
    (typeof value === 'string' ? value : '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
