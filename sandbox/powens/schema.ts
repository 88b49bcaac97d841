/**
 * The sandbox's own tables, in schema `powens_sandbox` of the application's PostgreSQL: created
 * idempotently at start (plain SQL, under an advisory lock so that two sandboxes starting together
 * do not race), never migrated by Prisma. A restarted stack keeps its users, banks and data.
 */
import type { Pool } from 'pg';
import { inTransaction } from './pg';

export const SCHEMA = 'powens_sandbox';

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${SCHEMA};

CREATE TABLE IF NOT EXISTS ${SCHEMA}.meta (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.user_ids START 1001;
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.connection_ids START 2001;
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.account_ids START 3001;
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.transaction_ids START 100001;
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.webhook_ids START 1;
CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.secret_ids START 1;

CREATE TABLE IF NOT EXISTS ${SCHEMA}.users (
  id      integer PRIMARY KEY,
  created timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ${SCHEMA}.tokens (
  token   text PRIMARY KEY,
  id_user integer NOT NULL REFERENCES ${SCHEMA}.users(id) ON DELETE CASCADE,
  type    text NOT NULL CHECK (type IN ('permanent', 'temporary')),
  created timestamptz NOT NULL,
  expires timestamptz,
  revoked timestamptz
);
CREATE INDEX IF NOT EXISTS tokens_user_idx ON ${SCHEMA}.tokens(id_user);

CREATE TABLE IF NOT EXISTS ${SCHEMA}.codes (
  code    text PRIMARY KEY,
  id_user integer NOT NULL REFERENCES ${SCHEMA}.users(id) ON DELETE CASCADE,
  access  text NOT NULL CHECK (access IN ('single', 'standard')),
  created timestamptz NOT NULL,
  expires timestamptz NOT NULL,
  used    timestamptz
);

CREATE TABLE IF NOT EXISTS ${SCHEMA}.connections (
  id                integer PRIMARY KEY,
  id_user           integer NOT NULL REFERENCES ${SCHEMA}.users(id) ON DELETE CASCADE,
  id_connector      integer NOT NULL,
  state             text,
  error_message     text,
  forced_state      text,
  forced_remaining  integer,
  created           timestamptz NOT NULL,
  last_update       timestamptz,
  last_attempt      timestamptz,
  next_try          timestamptz,
  active            boolean NOT NULL DEFAULT true,
  website           text NOT NULL DEFAULT 'par',
  login             text,
  contact           jsonb,
  syncs             integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS connections_user_idx ON ${SCHEMA}.connections(id_user);

CREATE TABLE IF NOT EXISTS ${SCHEMA}.accounts (
  id                integer PRIMARY KEY,
  id_connection     integer NOT NULL REFERENCES ${SCHEMA}.connections(id) ON DELETE CASCADE,
  id_user           integer NOT NULL,
  id_parent         integer,
  kind              text NOT NULL,
  position          integer NOT NULL,
  name              text NOT NULL,
  original_name     text NOT NULL,
  number            text,
  iban              text,
  bic               text,
  type              text NOT NULL,
  id_type           integer NOT NULL,
  currency          text NOT NULL,
  usage             text,
  company_name      text,
  opening_cents     bigint NOT NULL,
  balance_cents     bigint,
  coming_cents      bigint,
  created           timestamptz NOT NULL,
  disabled          timestamptz,
  deleted           timestamptz,
  last_update       timestamptz,
  generated_through date NOT NULL,
  display           boolean NOT NULL DEFAULT true,
  bookmarked        boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS accounts_connection_idx ON ${SCHEMA}.accounts(id_connection);
CREATE INDEX IF NOT EXISTS accounts_user_idx ON ${SCHEMA}.accounts(id_user);

CREATE TABLE IF NOT EXISTS ${SCHEMA}.transactions (
  id                 integer PRIMARY KEY,
  id_account         integer NOT NULL REFERENCES ${SCHEMA}.accounts(id) ON DELETE CASCADE,
  gen_key            text NOT NULL,
  date               date NOT NULL,
  rdate              date NOT NULL,
  vdate              date,
  value_cents        bigint NOT NULL,
  original_wording   text NOT NULL,
  simplified_wording text NOT NULL,
  type               text NOT NULL,
  coming             boolean NOT NULL,
  card               text,
  counterparty       jsonb,
  date_scraped       timestamptz NOT NULL,
  last_update        timestamptz NOT NULL,
  deleted            timestamptz,
  plan               jsonb NOT NULL DEFAULT '{}',
  next_event         date,
  replaces           integer,
  history            jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS transactions_account_idx ON ${SCHEMA}.transactions(id_account, date DESC, id DESC);
CREATE INDEX IF NOT EXISTS transactions_update_idx ON ${SCHEMA}.transactions(id_account, last_update);
CREATE INDEX IF NOT EXISTS transactions_event_idx ON ${SCHEMA}.transactions(id_account, next_event)
  WHERE next_event IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${SCHEMA}.webhooks (
  id           integer PRIMARY KEY,
  event        text NOT NULL,
  url          text,
  body         text NOT NULL,
  user_token   text,
  created      timestamptz NOT NULL DEFAULT now(),
  attempts     integer NOT NULL DEFAULT 0,
  next_attempt timestamptz NOT NULL DEFAULT now(),
  delivered    timestamptz,
  abandoned    timestamptz,
  last_status  integer,
  last_error   text
);
CREATE INDEX IF NOT EXISTS webhooks_pending_idx ON ${SCHEMA}.webhooks(next_attempt)
  WHERE delivered IS NULL AND abandoned IS NULL;

CREATE TABLE IF NOT EXISTS ${SCHEMA}.webview_sessions (
  id       text PRIMARY KEY,
  flow     text NOT NULL,
  params   jsonb NOT NULL,
  data     jsonb NOT NULL DEFAULT '{}',
  created  timestamptz NOT NULL DEFAULT now(),
  finished timestamptz
);
`;

export async function ensureSchema(pool: Pool): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('${SCHEMA}'))`);
    await c.query(DDL);
  });
}

/** Empties every table (admin reset); the meta (seed, clock, webhook URL) stays unless asked. */
export async function resetData(pool: Pool, opts: { meta?: boolean } = {}): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(
      `TRUNCATE ${SCHEMA}.webview_sessions, ${SCHEMA}.webhooks, ${SCHEMA}.transactions, ${SCHEMA}.accounts,
                ${SCHEMA}.connections, ${SCHEMA}.codes, ${SCHEMA}.tokens, ${SCHEMA}.users`,
    );
    for (const [seq, start] of [
      ['user_ids', 1001],
      ['connection_ids', 2001],
      ['account_ids', 3001],
      ['transaction_ids', 100001],
      ['webhook_ids', 1],
      ['secret_ids', 1],
    ] as const)
      await c.query(`ALTER SEQUENCE ${SCHEMA}.${seq} RESTART WITH ${start}`);
    if (opts.meta) await c.query(`TRUNCATE ${SCHEMA}.meta`);
  });
}
