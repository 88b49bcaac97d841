/** ISO 20022 camt.053 (bank-to-customer statement) rendering, versions .001.08 and .001.02. Pure. */
export { renderCamt053, CAMT_NAMESPACES } from './render';
export { CamtError } from './errors';
export { bankTransactionCode, DOMAIN_CODES, type BankTransactionCode, type DomainCode } from './codes';
export { cleanText, escapeXml, truncate, chunks, codePointLength } from './text';
export type { CamtMessageInput, CamtStatementInput, CamtOptions, CamtPage, CamtVersion } from './types';
