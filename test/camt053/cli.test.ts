import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readCamt, xsdErrors } from './support';

const root = join(__dirname, '..', '..');
const cli = (args: string[], input: string) =>
  spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'camt.ts'), ...args], {
    input,
    cwd: root,
  });

// The README's `cfonb write` example, as is.
const json = {
  statements: [
    {
      account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
      opening: { date: '2026-11-01', balance: '1234.56' },
      closing: { date: '2026-11-30', balance: '1192.46' },
      movements: [
        {
          bookingDate: '2026-11-03',
          valueDate: '2026-11-04',
          amount: '-42.10',
          label: 'PRLV SEPA EDF CLIENT 123',
          type: 'order',
          reference: 'optional',
          counterparty: 'optional',
          entryNumber: 'optional',
        },
      ],
    },
  ],
};

test('write: the cfonb JSON gives a valid camt.053 in each version, the same bytes on every run', async () => {
  const v08 = cli(['write'], JSON.stringify(json));
  expect(v08.stderr.toString()).toBe('');
  expect(v08.status).toBe(0);
  const v02 = cli(['write', '--version', '02'], JSON.stringify(json, null, 2));
  expect(v02.status).toBe(0);
  expect(await xsdErrors('08', [v08.stdout])).toEqual([]);
  expect(await xsdErrors('02', [v02.stdout])).toEqual([]);
  const read = readCamt(v08.stdout);
  expect(read.namespace).toBe('urn:iso:std:iso:20022:tech:xsd:camt.053.001.08');
  expect(readCamt(v02.stdout).namespace).toBe('urn:iso:std:iso:20022:tech:xsd:camt.053.001.02');
  // Identifiers come from the content, not from a clock: same JSON (whatever its layout), same bytes.
  expect(read.messageId).toMatch(/^RLV-[0-9A-F]{24}$/);
  expect(read.createdAt).toBe('2026-11-30T23:59:59');
  expect(read.statements[0]).toMatchObject({
    id: `${read.messageId}-1`,
    closing: { date: '2026-11-30', balance: '1192.46' },
    entries: [{ amount: '-42.10', reference: 'optional', counterparty: { role: 'Cdtr', name: 'optional' } }],
  });
  expect(cli(['write', '--version=08'], JSON.stringify(json, null, 4)).stdout.equals(v08.stdout)).toBe(true);
});

test('write: identifiers and metadata from flags and from the JSON', () => {
  const withMeta = {
    messageId: 'FROM-JSON',
    statements: [
      { ...json.statements[0], id: 'S-1', electronicSequenceNumber: 12, servicerBic: 'BNPAFRPP', ownerName: 'ACME' },
    ],
  };
  const r = cli(['write', '--created-at', '2026-12-01T06:00:00+01:00'], JSON.stringify(withMeta));
  expect(r.status).toBe(0);
  const read = readCamt(r.stdout);
  expect([read.messageId, read.createdAt]).toEqual(['FROM-JSON', '2026-12-01T06:00:00+01:00']);
  expect(read.statements[0]).toMatchObject({ id: 'S-1', sequence: '12', bic: 'BNPAFRPP', owner: 'ACME' });
  expect(readCamt(cli(['write', '--message-id=FLAG'], JSON.stringify(withMeta)).stdout).messageId).toBe('FLAG');
});

test('write: errors name the field and exit 1; a bad version or command exits 2', () => {
  const bad = structuredClone(json);
  bad.statements[0]!.movements[0]!.amount = '-42.105';
  const r = cli(['write'], JSON.stringify(bad));
  expect(r.status).toBe(1);
  expect(r.stdout.length).toBe(0);
  expect(r.stderr.toString()).toBe(
    'statements[0].movements[0].amount: "-42.105" has more than 2 decimal(s), the currency\'s minor unit\n',
  );
  const missing = cli(['write'], JSON.stringify({ statements: [{ account: json.statements[0]!.account }] }));
  expect(missing.status).toBe(1);
  expect(missing.stderr.toString()).toMatch(/^statements\[0\]\.opening: /);
  expect(cli(['write'], '{').status).toBe(1);
  expect(cli(['write', '--version', '05'], JSON.stringify(json)).status).toBe(2);
  expect(cli(['read'], '').status).toBe(2);
});
