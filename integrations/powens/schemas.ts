/**
 * zod schemas of the Powens responses we read (powens-sdks lib/specs/*.yml and docs.powens.com).
 * Objects are loose: unknown fields are kept (Powens adds fields over time) and only the fields we
 * rely on are checked. Optional-in-the-spec fields accept absence and null alike.
 */
import { z } from 'zod';

const id = z.number().int().positive();
const sqlDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'YYYY-MM-DD HH:MM:SS');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const serviceErrorSchema = z.looseObject({
  code: z.string(),
  description: z.string().optional().default(''),
  message: opt(z.string()),
  request_id: opt(z.union([z.string(), z.number()])),
});
export type PowensServiceError = z.infer<typeof serviceErrorSchema>;

export const accessTokenSchema = z.looseObject({
  auth_token: z.string().min(1),
  type: z.enum(['permanent', 'temporary']),
  id_user: id,
  expires_in: opt(z.number()),
});
export type PowensAccessToken = z.infer<typeof accessTokenSchema>;

export const authCodeSchema = z.looseObject({
  code: z.string().min(1),
  type: z.string().optional(),
  access: opt(z.enum(['single', 'standard'])),
  expires_in: opt(z.number()),
});
export type PowensAuthCode = z.infer<typeof authCodeSchema>;

export const tokenAccessSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
});

export const credentialsFieldSchema = z.looseObject({
  name: z.string(),
  type: z.string().optional(),
  label: z.string().optional(),
  description: opt(z.string()),
  required: z.boolean().optional(),
  regex: opt(z.string()),
  values: opt(z.array(z.looseObject({ value: z.string(), label: z.string() }))),
});

export const currencySchema = z.looseObject({
  id: z.string().length(3),
  name: z.string().optional(),
  symbol: z.string().optional(),
  precision: z.number().int().optional(),
});

export const connectionSourceSchema = z.looseObject({
  id,
  id_connection: id,
  name: z.string(),
  state: opt(z.string()),
  last_update: opt(sqlDateTime),
  disabled: opt(sqlDateTime),
});

export const connectorSchema = z.looseObject({
  id,
  uuid: z.string().optional(),
  name: z.string(),
  auth_mechanism: z.string().optional(),
  capabilities: z.array(z.string()).optional(),
  fields: opt(z.array(credentialsFieldSchema)),
});
export type PowensConnector = z.infer<typeof connectorSchema>;

export const connectorsListSchema = z.looseObject({ connectors: z.array(connectorSchema) });

export const bankAccountSchema = z.looseObject({
  id,
  id_connection: id,
  id_user: opt(id),
  id_source: opt(id),
  id_parent: opt(id),
  number: opt(z.string()),
  iban: opt(z.string()),
  bic: opt(z.string()),
  webid: opt(z.string()),
  name: z.string(),
  original_name: z.string().optional(),
  balance: opt(z.number()),
  coming: opt(z.number()),
  currency: opt(currencySchema),
  type: z.string(),
  id_type: opt(z.number()),
  display: z.boolean().optional(),
  bookmarked: z.boolean().optional(),
  usage: opt(z.string()),
  company_name: opt(z.string()),
  last_update: opt(sqlDateTime),
  deleted: opt(sqlDateTime),
  disabled: opt(sqlDateTime),
  error: opt(z.string()),
  loan: opt(z.looseObject({})),
});
export type PowensBankAccount = z.infer<typeof bankAccountSchema>;

export const connectionSchema = z.looseObject({
  id,
  id_user: opt(id),
  id_connector: id,
  connector_uuid: z.string().optional(),
  state: opt(z.string()),
  error: opt(z.string()),
  error_message: opt(z.string()),
  fields: opt(z.array(credentialsFieldSchema)),
  last_update: opt(sqlDateTime),
  created: sqlDateTime,
  active: z.boolean(),
  last_push: opt(sqlDateTime),
  expire: opt(sqlDateTime),
  next_try: opt(sqlDateTime),
  connector: opt(connectorSchema),
  sources: opt(z.array(connectionSourceSchema)),
  accounts: opt(z.array(bankAccountSchema)),
  all_accounts: opt(z.array(bankAccountSchema)),
});
export type PowensConnection = z.infer<typeof connectionSchema>;

export const connectionsListSchema = z.looseObject({ connections: z.array(connectionSchema) });

export const bankAccountsListSchema = z.looseObject({
  accounts: z.array(bankAccountSchema),
  balances: opt(z.record(z.string(), z.number())),
  coming_balances: opt(z.record(z.string(), z.number())),
});

export const counterpartySchema = z.looseObject({
  label: opt(z.string()),
  account_scheme_name: opt(z.string()),
  account_identification: opt(z.string()),
  type: opt(z.string()),
});

export const transactionSchema = z.looseObject({
  id,
  id_account: id,
  date: isoDate,
  datetime: opt(sqlDateTime),
  rdate: opt(isoDate),
  rdatetime: opt(sqlDateTime),
  vdate: opt(isoDate),
  vdatetime: opt(sqlDateTime),
  bdate: opt(isoDate),
  application_date: opt(isoDate),
  date_scraped: opt(sqlDateTime),
  value: opt(z.number()),
  gross_value: opt(z.number()),
  original_value: opt(z.number()),
  original_currency: opt(currencySchema),
  type: z.string(),
  original_wording: opt(z.string()),
  simplified_wording: opt(z.string()),
  wording: opt(z.string()),
  coming: z.boolean(),
  active: z.boolean().optional(),
  card: opt(z.string()),
  comment: opt(z.string()),
  counterparty: opt(z.union([counterpartySchema, z.string()])),
  last_update: opt(sqlDateTime),
  deleted: opt(sqlDateTime),
});
export type PowensTransaction = z.infer<typeof transactionSchema>;

const linkSchema = opt(z.looseObject({ href: z.string() }));
export const transactionsPageSchema = z.looseObject({
  transactions: z.array(transactionSchema),
  first_date: opt(isoDate),
  last_date: opt(isoDate),
  result_min_date: opt(isoDate),
  result_max_date: opt(isoDate),
  _links: opt(z.looseObject({ self: linkSchema, next: linkSchema, prev: linkSchema })),
});
export type PowensTransactionsPage = z.infer<typeof transactionsPageSchema>;
