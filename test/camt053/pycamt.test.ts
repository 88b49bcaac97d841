/**
 * An independent reader reads what we render: pycamt (PyPI, MIT, on lxml), installed once with pip
 * into the tools cache (~/.cache/releves/, like the Temporal servers), run through
 * test/camt053/pycamt_read.py on generated statements in both versions. Its figures must be the input's,
 * and its texts those our DOM reader (support.ts) sees.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { renderCamt053, type CamtMessageInput } from '../../domain/camt053';
import { messageArb } from './arbitraries';
import { readCamt } from './support';

const PACKAGES = ['pycamt==1.1.1', 'lxml==6.2.0'];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** The directory holding pycamt and lxml for this Python, installed once. */
function ensurePycamt(): string {
  const python = run('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).trim();
  const cache =
    process.env.RELEVES_TOOLS_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'releves');
  const dir = join(cache, `pycamt-1.1.1-lxml-6.2.0-py${python}`);
  if (existsSync(join(dir, 'pycamt'))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  run('python3', [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '--target',
    tmp,
    ...PACKAGES,
  ]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

interface PycamtView {
  version: string;
  header: { MessageID: string; CreationDateTime: string };
  statements: Array<Record<string, string | null>>;
  transactions: Array<Record<string, string | null>>;
}

/** pycamt gives a DBIT balance as str(-float(amount)): compare as doubles (Python's repr round-trips). */
const same = (text: string | null, decimal: string) => expect(Number(text)).toBe(Number(decimal));

test('pycamt reads every generated statement, in both versions, as we wrote it', () => {
  const site = ensurePycamt();
  const dir = mkdtempSync(join(tmpdir(), 'camt-pycamt-'));
  try {
    const messages: CamtMessageInput[] = fc.sample(messageArb, { seed: 7, numRuns: 40 });
    const files: Array<{ path: string; message: CamtMessageInput; xml: Buffer; version: '08' | '02' }> = [];
    messages.forEach((message, i) => {
      for (const version of ['08', '02'] as const) {
        const xml = renderCamt053(message, { version });
        const path = join(dir, `m${i}.${version}.xml`);
        writeFileSync(path, xml);
        files.push({ path, message, xml, version });
      }
    });
    const out = run('python3', [join(__dirname, 'pycamt_read.py'), ...files.map((f) => f.path)], {
      ...process.env,
      PYTHONPATH: site,
      PYTHONIOENCODING: 'utf-8',
    });
    const views = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PycamtView);
    expect(views).toHaveLength(files.length);
    let entries = 0;
    views.forEach((view, k) => {
      const { message, xml, version } = files[k]!;
      const ours = readCamt(xml);
      expect(view.version).toBe(`camt.053.001.${version}`);
      expect(view.header).toEqual({ MessageID: message.messageId, CreationDateTime: message.createdAt });
      expect(view.statements).toHaveLength(message.statements.length);
      const expectedTransactions: Array<Record<string, unknown>> = [];
      message.statements.forEach((s, i) => {
        const st = view.statements[i]!;
        expect([st.IBAN, st.Currency, st.OpeningBalanceDate, st.ClosingBalanceDate]).toEqual([
          s.account.iban,
          s.account.currency,
          s.opening.date,
          s.closing.date,
        ]);
        same(st.OpeningBalance!, s.opening.balance);
        same(st.ClosingBalance!, s.closing.balance);
        s.movements.forEach((m, j) => {
          const e = ours.statements[i]!.entries[j]!;
          const debit = m.amount.startsWith('-') && !/^-0(\.0+)?$/.test(m.amount);
          expectedTransactions.push({
            TransactionID: m.reference ?? null,
            AccountIBAN: s.account.iban,
            Amount: e.amount.replace('-', ''),
            Currency: s.account.currency,
            CreditDebitIndicator: debit ? 'DBIT' : 'CRDT',
            Status: 'BOOK',
            BookingDate: m.bookingDate,
            ValueDate: m.valueDate ?? m.bookingDate,
            AdditionalEntryInformation: e.additionalInfo,
            RemittanceInformation: e.unstructured[0],
            ...(e.counterparty
              ? { [e.counterparty.role === 'Dbtr' ? 'DebtorName' : 'CreditorName']: e.counterparty.name }
              : {}),
          });
          same(e.amount, m.amount);
          entries++;
        });
      });
      expect(view.transactions).toHaveLength(expectedTransactions.length);
      view.transactions.forEach((t, n) => expect(t).toMatchObject(expectedTransactions[n]!));
    });
    expect(entries).toBeGreaterThan(100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
