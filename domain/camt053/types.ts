import type { StatementInput } from '../cfonb120';

/** The two schema versions we render: camt.053.001.08 (default) and camt.053.001.02. */
export type CamtVersion = '08' | '02';

/** A page of a paginated message or statement (Pagination / Pagination1: PgNb, LastPgInd). */
export interface CamtPage {
  /** 1 to 99 999. */
  number: number;
  last: boolean;
}

/**
 * One account's statement: the CFONB writer's input (account, opening, closing, movements) plus
 * what camt.053 carries and CFONB does not.
 */
export interface CamtStatementInput extends StatementInput {
  /** Stmt/Id: unique per statement, 1 to 35 characters. */
  id: string;
  /** Stmt/ElctrncSeqNb: the statement's sequence number for this account (0 to 18 digits). */
  electronicSequenceNumber?: number | string;
  /** Stmt/CreDtTm (xs:dateTime); defaults to the message's creation date-time. */
  createdAt?: string;
  /** Acct/Svcr: the account servicer's BIC, when known. */
  servicerBic?: string;
  /** Acct/Ownr/Nm: the account owner's name, when known (truncated to 140 characters). */
  ownerName?: string;
  /** Stmt/StmtPgntn (camt.053.001.08 only, no such element in .02); defaults to page 1, last. */
  page?: CamtPage;
}

/** One camt.053 message (a file): a group header and one statement per account. */
export interface CamtMessageInput {
  /** GrpHdr/MsgId: unique per message, 1 to 35 characters. */
  messageId: string;
  /** GrpHdr/CreDtTm: an xs:dateTime such as "2026-12-01T06:00:00Z" or "2026-12-01T07:00:00+01:00". */
  createdAt: string;
  /** GrpHdr/MsgPgntn, for a multi-account file sent as several messages; defaults to page 1, last. */
  page?: CamtPage;
  statements: CamtStatementInput[];
}

export interface CamtOptions {
  /** "08" (camt.053.001.08, default) or "02" (camt.053.001.02). */
  version?: CamtVersion;
}
