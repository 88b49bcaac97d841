/**
 * camt.053 test helpers: XSD validation with libxml2 (xmllint-wasm, against the official schemas in
 * test/fixtures/iso20022/), and a reader of what we render built on a W3C DOM parser (@xmldom/xmldom),
 * namespace-aware and independent of the renderer's code.
 */
import { readFileSync } from 'node:fs';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { validateXML } from 'xmllint-wasm';
import { CAMT_NAMESPACES, type CamtVersion } from '../../domain/camt053';
import { fixture } from '../support/fixtures';

const schemas: Partial<Record<CamtVersion, string>> = {};
export function schema(version: CamtVersion): string {
  return (schemas[version] ??= readFileSync(fixture('iso20022', `camt.053.001.${version}.xsd`), 'utf8'));
}

/**
 * Validates documents against the version's XSD in one xmllint run; returns libxml2's messages for
 * the invalid ones (empty when all are valid).
 */
export async function xsdErrors(version: CamtVersion, documents: Array<string | Buffer>): Promise<string[]> {
  if (documents.length === 0) return [];
  const xml = documents.map((d, i) => ({ fileName: `doc${i}.xml`, contents: d.toString() }));
  const result = await validateXML({
    xml,
    schema: [{ fileName: `camt.053.001.${version}.xsd`, contents: schema(version) }],
    initialMemoryPages: 1024,
    maxMemoryPages: 16384,
  });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

// ---- reading back ---------------------------------------------------------------------------------

export interface ReadBalance {
  date: string;
  /** Signed decimal text: the amount with "-" for DBIT. */
  balance: string;
}

export interface ReadEntry {
  entryRef?: string;
  amount: string;
  currency: string;
  status: string;
  bookingDate: string;
  valueDate: string;
  reference?: string;
  txReference?: string;
  txAmount?: string;
  domain?: string;
  proprietaryCode: string;
  proprietaryIssuer: string;
  counterparty?: { role: 'Dbtr' | 'Cdtr'; name: string };
  /** Every RmtInf/Ustrd, in order. */
  unstructured: string[];
  additionalInfo: string;
}

export interface ReadStatement {
  id: string;
  page?: string;
  sequence?: string;
  createdAt: string;
  from: string;
  to: string;
  iban: string;
  currency: string;
  owner?: string;
  bic?: string;
  opening: ReadBalance;
  closing: ReadBalance;
  summary?: { count: string; sum: string; net: string; credits: string; debits: string };
  entries: ReadEntry[];
}

export interface ReadMessage {
  namespace: string;
  messageId: string;
  createdAt: string;
  page: string;
  statements: ReadStatement[];
}

const children = (e: Element, name: string): Element[] => {
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling)
    if (n.nodeType === 1 && (n as Element).localName === name) out.push(n as Element);
  return out;
};
const child = (e: Element | undefined, ...path: string[]): Element | undefined => {
  let cur = e;
  for (const name of path) cur = cur ? children(cur, name)[0] : undefined;
  return cur;
};
const text = (e: Element | undefined, ...path: string[]): string | undefined => {
  const c = child(e, ...path);
  return c ? (c.textContent ?? '') : undefined;
};
const req = (e: Element | undefined, ...path: string[]): string => {
  const t = text(e, ...path);
  if (t === undefined) throw new Error(`missing ${path.join('/')}`);
  return t;
};
const signed = (amount: string, indicator: string) => (indicator === 'DBIT' ? `-${amount}` : amount);

/** Parses a rendered camt.053 (either version) with a DOM parser that throws on any XML error. */
export function readCamt(xml: string | Buffer): ReadMessage {
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(message);
    },
  }).parseFromString(xml.toString(), 'text/xml');
  const root = doc.documentElement!;
  const namespace = root.namespaceURI ?? '';
  if (root.localName !== 'Document' || !Object.values(CAMT_NAMESPACES).includes(namespace))
    throw new Error(`unexpected root ${root.localName} in ${namespace}`);
  const message = child(root, 'BkToCstmrStmt')!;
  const header = child(message, 'GrpHdr');
  return {
    namespace,
    messageId: req(header, 'MsgId'),
    createdAt: req(header, 'CreDtTm'),
    page: `${req(header, 'MsgPgntn', 'PgNb')}/${req(header, 'MsgPgntn', 'LastPgInd')}`,
    statements: children(message, 'Stmt').map(readStatement),
  };
}

function readStatement(s: Element): ReadStatement {
  const balances = children(s, 'Bal');
  const balance = (code: string): ReadBalance => {
    const b = balances.find((x) => text(x, 'Tp', 'CdOrPrtry', 'Cd') === code);
    if (!b) throw new Error(`no ${code} balance`);
    return { date: req(b, 'Dt', 'Dt'), balance: signed(req(b, 'Amt'), req(b, 'CdtDbtInd')) };
  };
  const summary = child(s, 'TxsSummry');
  const all = child(summary, 'TtlNtries');
  const netAmount = text(all, 'TtlNetNtry', 'Amt') ?? text(all, 'TtlNetNtryAmt');
  const netSign = text(all, 'TtlNetNtry', 'CdtDbtInd') ?? text(all, 'CdtDbtInd');
  const pg = child(s, 'StmtPgntn');
  return {
    id: req(s, 'Id'),
    page: pg ? `${req(pg, 'PgNb')}/${req(pg, 'LastPgInd')}` : undefined,
    sequence: text(s, 'ElctrncSeqNb'),
    createdAt: req(s, 'CreDtTm'),
    from: req(s, 'FrToDt', 'FrDtTm'),
    to: req(s, 'FrToDt', 'ToDtTm'),
    iban: req(s, 'Acct', 'Id', 'IBAN'),
    currency: req(s, 'Acct', 'Ccy'),
    owner: text(s, 'Acct', 'Ownr', 'Nm'),
    bic: text(s, 'Acct', 'Svcr', 'FinInstnId', 'BICFI') ?? text(s, 'Acct', 'Svcr', 'FinInstnId', 'BIC'),
    opening: balance('OPBD'),
    closing: balance('CLBD'),
    summary: summary
      ? {
          count: req(all, 'NbOfNtries'),
          sum: req(all, 'Sum'),
          net: signed(netAmount!, netSign!),
          credits: `${req(summary, 'TtlCdtNtries', 'NbOfNtries')}:${req(summary, 'TtlCdtNtries', 'Sum')}`,
          debits: `${req(summary, 'TtlDbtNtries', 'NbOfNtries')}:${req(summary, 'TtlDbtNtries', 'Sum')}`,
        }
      : undefined,
    entries: children(s, 'Ntry').map(readEntry),
  };
}

function readEntry(n: Element): ReadEntry {
  const tx = child(n, 'NtryDtls', 'TxDtls');
  const amt = child(n, 'Amt')!;
  const parties = child(tx, 'RltdPties');
  const role = parties ? (child(parties, 'Dbtr') ? 'Dbtr' : 'Cdtr') : undefined;
  const party = role ? child(parties, role) : undefined;
  const name = text(party, 'Pty', 'Nm') ?? text(party, 'Nm');
  const domain = child(n, 'BkTxCd', 'Domn');
  const txAmount = text(tx, 'Amt') ?? text(tx, 'AmtDtls', 'TxAmt', 'Amt');
  const txSign = text(tx, 'CdtDbtInd') ?? req(n, 'CdtDbtInd');
  return {
    entryRef: text(n, 'NtryRef'),
    amount: signed(amt.textContent ?? '', req(n, 'CdtDbtInd')),
    currency: amt.getAttribute('Ccy') ?? '',
    status: text(n, 'Sts', 'Cd') ?? req(n, 'Sts'),
    bookingDate: req(n, 'BookgDt', 'Dt'),
    valueDate: req(n, 'ValDt', 'Dt'),
    reference: text(n, 'AcctSvcrRef'),
    txReference: text(tx, 'Refs', 'AcctSvcrRef'),
    txAmount: txAmount === undefined ? undefined : signed(txAmount, txSign),
    domain: domain
      ? `${req(domain, 'Cd')}/${req(domain, 'Fmly', 'Cd')}/${req(domain, 'Fmly', 'SubFmlyCd')}`
      : undefined,
    proprietaryCode: req(n, 'BkTxCd', 'Prtry', 'Cd'),
    proprietaryIssuer: req(n, 'BkTxCd', 'Prtry', 'Issr'),
    counterparty: role && name !== undefined ? { role, name } : undefined,
    unstructured: children(child(tx, 'RmtInf')!, 'Ustrd').map((u) => u.textContent ?? ''),
    additionalInfo: req(n, 'AddtlNtryInf'),
  };
}
