/**
 * Generated statements (fixed seed): every rendered camt.053, in both versions, is valid against the
 * official XSD and tells what the CFONB120 file of the same input tells, as read back by the strict
 * CFONB reader: account, opening and closing balances and dates, and per movement the amount and
 * sign, booking and value dates, reference, entry number, label and counterparty (in their CFONB
 * form), interbank code. Rendering is deterministic.
 */
import fc from 'fast-check';
import { accountFromIban, normalizeText, readCfonb, writeCfonb } from '../../domain/cfonb120';
import { renderCamt053, type CamtVersion } from '../../domain/camt053';
import { hasRemoved, messageArb, REMOVED } from './arbitraries';
import { readCamt, xsdErrors } from './support';

const SEED = 20261201;
const RUNS = 150;

/** The signed amount the CFONB reader gives for a written amount ("-0.00" reads as zero). */
const cfonbAmount = (a: string) => (/^-0(\.0+)?$/.test(a) ? a.slice(1) : a);

test('generated statements: valid against both XSDs, same content as the CFONB file, deterministic', async () => {
  const rendered: Record<CamtVersion, Buffer[]> = { '08': [], '02': [] };
  // What the generated runs went through, checked at the end so that the property keeps covering it.
  const seen = { empty: 0, severalUstrd: 0, additionalInfoCut: 0, controls: 0, debitBalance: 0, currencies: new Set() };
  fc.assert(
    fc.property(messageArb, (message) => {
      const cfonb = readCfonb(writeCfonb(message.statements));
      for (const version of ['08', '02'] as const) {
        const xml = renderCamt053(message, { version });
        expect(renderCamt053(structuredClone(message), { version }).equals(xml)).toBe(true);
        rendered[version].push(xml);
        const read = readCamt(xml);
        expect(read.messageId).toBe(message.messageId);
        expect(read.statements).toHaveLength(cfonb.length);
        read.statements.forEach((s, i) => {
          const c = cfonb[i]!;
          const input = message.statements[i]!;
          expect(s.iban).toBe(input.account.iban);
          // The CFONB file identifies the account by bank, branch and account number (no country).
          const { bankCode, branchCode, accountNumber } = c.account;
          expect(accountFromIban(s.iban, 'iban')).toEqual({ bankCode, branchCode, accountNumber });
          expect(s.currency).toBe(c.account.currency);
          expect(s.opening).toEqual(c.opening);
          expect(s.closing).toEqual(c.closing);
          expect(s.entries).toHaveLength(c.movements.length);
          if (s.entries.length === 0) seen.empty++;
          if (s.closing.balance.startsWith('-')) seen.debitBalance++;
          seen.currencies.add(s.currency);
          s.entries.forEach((e, j) => {
            const cm = c.movements[j]!;
            const label = input.movements[j]!.label;
            expect(e.amount).toBe(cfonbAmount(cm.amount));
            expect(e.txAmount).toBe(e.amount);
            expect(e.currency).toBe(c.account.currency);
            expect(e.bookingDate).toBe(cm.bookingDate);
            expect(e.valueDate).toBe(cm.valueDate);
            expect(e.reference).toBe(cm.reference);
            expect(e.txReference).toBe(cm.reference);
            expect(e.entryRef).toBe(cm.entryNumber);
            expect(e.proprietaryCode).toBe(cm.interbankCode);
            const full = e.unstructured.join('');
            if (e.unstructured.length > 1) seen.severalUstrd++;
            if ([...full].length > 500) seen.additionalInfoCut++;
            if (hasRemoved(label)) seen.controls++;
            expect(e.additionalInfo).toBe([...full].slice(0, 500).join('').trimEnd());
            // Same words as the CFONB label once put in CFONB's character set; control characters
            // are dropped by camt and become spaces in CFONB.
            if (!hasRemoved(label)) expect(normalizeText(full)).toBe(cm.label);
            expect(normalizeText(full)).toBe(normalizeText(label.replace(REMOVED, '')));
            const counterparty = cm.counterparty;
            if (counterparty === undefined) expect(e.counterparty).toBeUndefined();
            else {
              expect(normalizeText(e.counterparty!.name)).toBe(counterparty);
              expect(e.counterparty!.role).toBe(cm.amount.startsWith('-') ? 'Cdtr' : 'Dbtr');
            }
          });
        });
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  for (const [what, count] of Object.entries(seen))
    if (typeof count === 'number') expect([what, count > 0]).toEqual([what, true]);
  expect(seen.currencies.size).toBeGreaterThan(50);
  for (const version of ['08', '02'] as const) {
    expect(rendered[version]).toHaveLength(RUNS);
    expect(await xsdErrors(version, rendered[version])).toEqual([]);
  }
});
