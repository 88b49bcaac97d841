/**
 * CFONB120 bytes → statements: the exact inverse of the writer, strict by default, reporting the
 * line and column (1-based) of the first violation. `lenient` accepts the quirks real producers
 * have (blank lines, blank currency/decimals, text in reserved zones) without guessing amounts.
 */
import { minorUnits } from './currencies';
import { CfonbReadError } from './errors';
import { decodeAmount, decodeDate, formatDecimal, ibanFromAccount } from './format';
import { COMPLEMENT, LAYOUTS, MOVEMENT, NEW_BALANCE, OLD_BALANCE, RECORD_LENGTH, type Field } from './layout';
import type { MovementOutput, ReadOptions, StatementOutput } from './types';

interface Head {
  bank: string;
  branch: string;
  currency: string;
  decimals: number;
  account: string;
}

export function readCfonb(input: Buffer | string, options: ReadOptions = {}): StatementOutput[] {
  const lenient = options.lenient ?? false;
  const content = typeof input === 'string' ? input : input.toString('latin1');
  const lines = splitRecords(content, lenient);
  const statements: StatementOutput[] = [];
  let current: (StatementOutput & { head: Head; total: bigint; line: number }) | null = null;
  let movement: MovementOutput | null = null;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    if (raw.trim() === '') {
      if (lenient || i === lines.length - 1) continue;
      throw new CfonbReadError(lineNo, 1, 'blank line');
    }
    const fail = (column: number, reason: string): never => {
      throw new CfonbReadError(lineNo, column, reason);
    };
    for (let c = 0; c < raw.length; c++) {
      const code = raw.charCodeAt(c);
      if (code < 0x20 || code > 0x7e)
        fail(c + 1, `byte 0x${code.toString(16).padStart(2, '0')} is not printable ASCII`);
    }
    if (raw.length !== RECORD_LENGTH)
      fail(Math.min(raw.length, RECORD_LENGTH) + 1, `record of ${raw.length} characters, 120 expected`);
    const field = (f: Field) => raw.slice(f.offset, f.offset + f.width);
    const blankZone = (f: Field) => {
      if (!lenient && field(f).trim() !== '')
        fail(f.start + field(f).search(/\S/), `positions ${f.start}-${f.end} must be blank`);
    };
    const kind = field(OLD_BALANCE.code);
    if (!Object.hasOwn(LAYOUTS, kind)) fail(1, `unknown record code "${kind}"`);

    const head = readHead(field, fail, lenient, current?.head);
    if (current && kind !== '01' && !sameAccount(head, current.head, lenient))
      fail(OLD_BALANCE.bankCode.start, "bank, branch, account or currency differs from the statement's 01 record");
    const amountAt = (f: Field) => {
      const v = decodeAmount(field(f));
      if (v === null) fail(f.start, `"${field(f)}" is not a signed 14-position amount`);
      return v as bigint;
    };
    const dateAt = (f: Field) => {
      const v = decodeDate(field(f));
      if (v === null) fail(f.start, `"${field(f)}" is not a date DDMMYY`);
      return v as string;
    };

    if (kind === '01') {
      if (current) fail(1, 'a new statement (01) starts before the previous one ended (07)');
      blankZone(OLD_BALANCE.reserved8);
      blankZone(OLD_BALANCE.reserved21);
      blankZone(OLD_BALANCE.reserved33);
      blankZone(OLD_BALANCE.reserved41);
      blankZone(OLD_BALANCE.reserved105);
      const balance = amountAt(OLD_BALANCE.balance);
      current = {
        account: {
          bankCode: head.bank,
          branchCode: head.branch,
          accountNumber: head.account,
          currency: head.currency,
          decimals: head.decimals,
        },
        opening: { date: dateAt(OLD_BALANCE.date), balance: formatDecimal(balance, head.decimals) },
        closing: { date: '', balance: '' },
        movements: [],
        head,
        total: balance,
        line: lineNo,
      };
      const iban = ibanFromAccount(current.account);
      if (iban) current.account.iban = iban;
      movement = null;
    } else if (kind === '04') {
      if (!current) fail(1, 'movement (04) outside a statement (no 01 before it)');
      const cur = current!;
      const amount = amountAt(MOVEMENT.amount);
      cur.total += amount;
      const entry = field(MOVEMENT.entryNumber);
      if (!/^[0-9A-Z ]{7}$/.test(entry))
        fail(MOVEMENT.entryNumber.start, `entry number "${entry}" is not 7 letters or digits`);
      const interbank = field(MOVEMENT.interbankCode);
      if (!/^[0-9A-Z]{2}$/.test(interbank))
        fail(MOVEMENT.interbankCode.start, `interbank code "${interbank}" is not 2 letters or digits`);
      movement = {
        bookingDate: dateAt(MOVEMENT.bookingDate),
        valueDate: dateAt(MOVEMENT.valueDate),
        amount: formatDecimal(amount, head.decimals),
        label: field(MOVEMENT.label),
        interbankCode: interbank,
        details: [],
      };
      const entryNumber = entry.trim().replace(/^0+/, '');
      if (entryNumber) movement.entryNumber = entryNumber;
      const reference = field(MOVEMENT.reference).trim();
      if (reference) movement.reference = reference;
      cur.movements.push(movement);
    } else if (kind === '05') {
      if (!movement) fail(1, 'complement (05) without a movement (04) before it');
      const m = movement!;
      if (!lenient && field(COMPLEMENT.interbankCode) !== m.interbankCode)
        fail(COMPLEMENT.interbankCode.start, 'interbank code differs from its 04 record');
      blankZone(COMPLEMENT.reserved41);
      blankZone(COMPLEMENT.reserved119);
      const qualifier = field(COMPLEMENT.qualifier);
      const info = field(COMPLEMENT.information);
      if (qualifier === 'LIB') m.label += info;
      else if ((qualifier === 'NPY' || qualifier === 'NBE') && m.counterparty === undefined)
        m.counterparty = info.trim();
      else m.details.push({ qualifier, text: info.trimEnd() });
    } else {
      if (!current) fail(1, 'new balance (07) without a statement (no 01 before it)');
      const cur = current!;
      blankZone(NEW_BALANCE.reserved41);
      const closing = amountAt(NEW_BALANCE.balance);
      cur.closing = { date: dateAt(NEW_BALANCE.date), balance: formatDecimal(closing, head.decimals) };
      if (!lenient && closing !== cur.total)
        fail(
          NEW_BALANCE.balance.start,
          `new balance ${cur.closing.balance} ≠ old balance + movements ${formatDecimal(cur.total, head.decimals)}`,
        );
      for (const m of cur.movements) m.label = m.label.trimEnd();
      const { head: _h, total: _t, line: _l, ...statement } = cur;
      statements.push(statement);
      current = null;
      movement = null;
    }
    if (kind !== '04' && kind !== '05') movement = null;
  }
  if (current) throw new CfonbReadError(current.line, 1, 'statement (01) never closed by a new balance (07)');
  return statements;
}

/**
 * One record per line (LF or CRLF), or records without any separator (a single line whose length
 * is a multiple of 120): both are what our writer can produce. Lenient mode also splits any line
 * that is a whole number of records.
 */
function splitRecords(content: string, lenient: boolean): string[] {
  if (content === '') return [];
  const lines = content.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const chunk = (line: string) => {
    const out: string[] = [];
    for (let i = 0; i < line.length; i += RECORD_LENGTH) out.push(line.slice(i, i + RECORD_LENGTH));
    return out;
  };
  if (lines.length === 1 && lines[0]!.length % RECORD_LENGTH === 0) return chunk(lines[0]!);
  if (!lenient) return lines;
  return lines.flatMap((l) => (l.length > RECORD_LENGTH && l.length % RECORD_LENGTH === 0 ? chunk(l) : [l]));
}

/** Positions 3-32, the same in the four layouts (layout.ts checks it): read through the 01's table. */
function readHead(
  field: (f: Field) => string,
  fail: (column: number, reason: string) => never,
  lenient: boolean,
  previous: Head | undefined,
): Head {
  const F = OLD_BALANCE;
  const bank = field(F.bankCode);
  if (!/^\d{5}$/.test(bank)) fail(F.bankCode.start, `bank code "${bank}" is not 5 digits`);
  const branch = field(F.branchCode);
  if (!/^\d{5}$/.test(branch)) fail(F.branchCode.start, `branch code "${branch}" is not 5 digits`);
  let currency = field(F.currency);
  let decimalsText = field(F.decimals);
  if (lenient && currency.trim() === '') currency = previous?.currency ?? 'EUR';
  if (lenient && decimalsText === ' ') decimalsText = String(minorUnits(currency) ?? 2);
  const units = minorUnits(currency);
  if (units === undefined) fail(F.currency.start, `"${currency}" is not an ISO 4217 currency code`);
  if (!/^\d$/.test(decimalsText)) fail(F.decimals.start, `number of decimals "${decimalsText}" is not a digit`);
  const decimals = Number(decimalsText);
  if (!lenient && decimals !== units)
    fail(F.decimals.start, `${decimals} decimal(s) for ${currency}, whose minor unit is ${units}`);
  const account = field(F.accountNumber);
  if (!/^[0-9A-Z]{11}$/.test(account) && !(lenient && /^[0-9A-Z ]{11}$/.test(account)))
    fail(F.accountNumber.start, `account number "${account}" is not 11 letters or digits`);
  return { bank, branch, currency, decimals, account: account.trim() };
}

/** Lenient mode only requires the account number and currency to match (some banks vary the bank code). */
function sameAccount(a: Head, b: Head, lenient: boolean): boolean {
  if (a.account !== b.account || a.currency !== b.currency) return false;
  return lenient || (a.bank === b.bank && a.branch === b.branch);
}
