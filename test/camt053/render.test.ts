import { bankTransactionCode, CamtError, renderCamt053, type CamtMessageInput } from '../../domain/camt053';
import { readCamt, xsdErrors } from './support';

const IBAN = 'FR7630004000031234567890143';
const message = (over: Partial<CamtMessageInput> = {}): CamtMessageInput => ({
  messageId: 'RLV-2026-11-30-0001',
  createdAt: '2026-12-01T06:00:00Z',
  statements: [
    {
      id: 'RLV-STMT-0001',
      electronicSequenceNumber: 11,
      servicerBic: 'BNPAFRPP',
      ownerName: 'ACME SARL',
      account: { iban: IBAN, currency: 'EUR' },
      opening: { date: '2026-11-01', balance: '1234.56' },
      closing: { date: '2026-11-30', balance: '1192.46' },
      movements: [
        {
          bookingDate: '2026-11-03',
          valueDate: '2026-11-04',
          amount: '-42.10',
          label: 'PRLV SEPA EDF CLIENT 123',
          type: 'order',
          reference: 'REF0001',
          counterparty: 'EDF',
          entryNumber: '42',
        },
      ],
    },
  ],
  ...over,
});
const render = (m: CamtMessageInput, version: '08' | '02' = '08') => renderCamt053(m, { version }).toString('utf8');

describe('camt.053 document', () => {
  test('the validator is not a rubber stamp: a tampered document fails against each XSD', async () => {
    for (const version of ['08', '02'] as const) {
      const xml = render(message(), version);
      const tampered = [
        xml.replace('<Ustrd>PRLV SEPA EDF CLIENT 123</Ustrd>', `<Ustrd>${'x'.repeat(141)}</Ustrd>`),
        xml.replace(/<CdtDbtInd>DBIT<\/CdtDbtInd>/, '<CdtDbtInd>DEBIT</CdtDbtInd>'),
        xml.replace('<Amt Ccy="EUR">42.10</Amt>', '<Amt Ccy="EUR">-42.10</Amt>'),
        xml.replace(/(<Sts>[\s\S]*?<\/Sts>)(\s*)(<BookgDt>[\s\S]*?<\/BookgDt>)/, '$3$2$1'),
      ];
      for (const t of tampered) expect(t).not.toBe(xml);
      const errors = await xsdErrors(version, tampered);
      for (let i = 0; i < tampered.length; i++) expect(errors.some((e) => e.startsWith(`doc${i}.xml:`))).toBe(true);
    }
  });

  test('the README example, .08: header, statement, balances, one entry', async () => {
    const xml = render(message());
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n',
      ),
    ).toBe(true);
    expect(xml.endsWith('</Document>\n')).toBe(true);
    expect(xml).toContain('<Sts>\n          <Cd>BOOK</Cd>\n        </Sts>');
    expect(xml).toContain('<BICFI>BNPAFRPP</BICFI>');
    expect(await xsdErrors('08', [xml])).toEqual([]);
    const read = readCamt(xml);
    expect(read).toMatchObject({ messageId: 'RLV-2026-11-30-0001', createdAt: '2026-12-01T06:00:00Z', page: '1/true' });
    const [s] = read.statements;
    expect(s).toMatchObject({
      id: 'RLV-STMT-0001',
      page: '1/true',
      sequence: '11',
      createdAt: '2026-12-01T06:00:00Z',
      from: '2026-11-01T00:00:00',
      to: '2026-11-30T23:59:59',
      iban: IBAN,
      currency: 'EUR',
      owner: 'ACME SARL',
      bic: 'BNPAFRPP',
      opening: { date: '2026-11-01', balance: '1234.56' },
      closing: { date: '2026-11-30', balance: '1192.46' },
      summary: { count: '1', sum: '42.10', net: '-42.10', credits: '0:0.00', debits: '1:42.10' },
    });
    expect(s!.entries).toEqual([
      {
        entryRef: '42',
        amount: '-42.10',
        currency: 'EUR',
        status: 'BOOK',
        bookingDate: '2026-11-03',
        valueDate: '2026-11-04',
        reference: 'REF0001',
        txReference: 'REF0001',
        txAmount: '-42.10',
        domain: 'PMNT/RDDT/OTHR',
        proprietaryCode: 'B1',
        proprietaryIssuer: 'CFONB',
        counterparty: { role: 'Cdtr', name: 'EDF' },
        unstructured: ['PRLV SEPA EDF CLIENT 123'],
        additionalInfo: 'PRLV SEPA EDF CLIENT 123',
      },
    ]);
  });

  test('.02: bare <Sts>BOOK</Sts>, BIC, no statement pagination, TxAmt, same content', async () => {
    const xml = render(message(), '02');
    expect(xml).toContain('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">');
    expect(xml).toContain('<Sts>BOOK</Sts>');
    expect(xml).toContain('<BIC>BNPAFRPP</BIC>');
    expect(xml).not.toContain('StmtPgntn');
    expect(await xsdErrors('02', [xml])).toEqual([]);
    const v02 = readCamt(xml).statements[0]!;
    const v08 = readCamt(render(message())).statements[0]!;
    expect({ ...v02, page: undefined }).toEqual({ ...v08, page: undefined });
  });

  test('a credit names its payer as debtor; negative balances are DBIT; zero is CRDT', async () => {
    const m = message({
      statements: [
        {
          id: 'S1',
          account: { iban: IBAN, currency: 'EUR' },
          opening: { date: '2026-11-01', balance: '-100.00' },
          closing: { date: '2026-11-30', balance: '0.00' },
          movements: [
            {
              bookingDate: '2026-11-02',
              amount: '100',
              label: 'VIR RECU',
              type: 'transfer',
              counterparty: 'Client SA',
            },
            { bookingDate: '2026-11-02', amount: '-0.00', label: 'ZERO' },
          ],
        },
      ],
    });
    for (const version of ['08', '02'] as const) {
      const xml = render(m, version);
      expect(await xsdErrors(version, [xml])).toEqual([]);
      const s = readCamt(xml).statements[0]!;
      expect(s.opening.balance).toBe('-100.00');
      expect(s.closing.balance).toBe('0.00');
      expect(s.entries[0]).toMatchObject({
        amount: '100.00',
        valueDate: '2026-11-02',
        counterparty: { role: 'Dbtr', name: 'Client SA' },
        domain: 'PMNT/RCDT/OTHR',
        proprietaryCode: '05',
      });
      expect(s.entries[1]).toMatchObject({ amount: '0.00', domain: undefined, proprietaryCode: '91' });
      expect(s.summary).toEqual({ count: '2', sum: '100.00', net: '100.00', credits: '2:100.00', debits: '0:0.00' });
    }
  });

  test('an empty statement, without servicer, owner or sequence number, is valid', async () => {
    const m = message({
      statements: [
        {
          id: 'EMPTY',
          account: { iban: 'DE89370400440532013000', currency: 'JPY' },
          opening: { date: '2026-11-01', balance: '-5' },
          closing: { date: '2026-11-01', balance: '-5' },
          movements: [],
        },
      ],
    });
    for (const version of ['08', '02'] as const) {
      const xml = render(m, version);
      expect(await xsdErrors(version, [xml])).toEqual([]);
      expect(xml).not.toMatch(/<(Ntry|Ownr|Svcr|ElctrncSeqNb)>/);
      expect(readCamt(xml).statements[0]).toMatchObject({
        iban: 'DE89370400440532013000',
        opening: { balance: '-5' },
        summary: { count: '0', sum: '0', net: '0', credits: '0:0', debits: '0:0' },
        entries: [],
      });
    }
  });

  test('several accounts in one message, pages given by the caller, IBAN in electronic form', async () => {
    const base = message().statements[0]!;
    const m = message({
      page: { number: 3, last: false },
      statements: [
        { ...base, id: 'A', page: { number: 2, last: true } },
        { ...base, id: 'B', account: { iban: 'fr76 3000 4000 0312 3456 7890 143', currency: 'EUR' } },
      ],
    });
    for (const version of ['08', '02'] as const) {
      const xml = render(m, version);
      expect(await xsdErrors(version, [xml])).toEqual([]);
      const read = readCamt(xml);
      expect(read.page).toBe('3/false');
      expect(read.statements.map((s) => [s.id, s.iban, s.page])).toEqual([
        ['A', IBAN, version === '08' ? '2/true' : undefined],
        ['B', IBAN, version === '08' ? '1/true' : undefined],
      ]);
    }
  });

  test('amounts use the currency decimals: JPY 0, TND 3, CLF 4; 18 digits fit', async () => {
    const cases: Array<[string, string, string]> = [
      ['JPY', '-1500', '-1500'],
      ['TND', '12.5', '12.500'],
      ['CLF', '-0.0001', '-0.0001'],
      ['EUR', '9999999999999999.99', '9999999999999999.99'],
    ];
    for (const [currency, amount, expected] of cases) {
      const m = message({
        statements: [
          {
            id: currency,
            account: { iban: IBAN, currency },
            opening: { date: '2026-11-01', balance: '0' },
            closing: { date: '2026-11-30', balance: amount },
            movements: [{ bookingDate: '2026-11-05', amount, label: 'X' }],
          },
        ],
      });
      for (const version of ['08', '02'] as const) {
        const xml = render(m, version);
        expect(await xsdErrors(version, [xml])).toEqual([]);
        const s = readCamt(xml).statements[0]!;
        expect([s.entries[0]!.amount, s.closing.balance]).toEqual([expected, expected]);
      }
    }
  });
});

describe('text', () => {
  test('XML specials are escaped, control characters removed, whitespace folded, on every text field', async () => {
    const nasty =
      ' A&B <C> "D" \'E\' ]]> \u0000\u0001\u0008\u000b\u001f\u007f\u0085\u009f\ud800\ufffe\uffff F\t\tG\r\nH ';
    const m = message();
    const s = m.statements[0]!;
    s.ownerName = nasty;
    s.id = 'ID&<>"\'';
    m.messageId = 'M&<>';
    s.movements[0] = { ...s.movements[0]!, label: nasty, counterparty: nasty, reference: 'R&<>"\'' };
    for (const version of ['08', '02'] as const) {
      const xml = render(m, version);
      expect(await xsdErrors(version, [xml])).toEqual([]);
      expect(xml).toContain('<Ustrd>A&amp;B &lt;C&gt; &quot;D&quot; &apos;E&apos; ]]&gt; F G H</Ustrd>');
      // eslint-disable-next-line no-control-regex
      expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]/);
      const read = readCamt(xml);
      const e = read.statements[0]!.entries[0]!;
      const clean = 'A&B <C> "D" \'E\' ]]> F G H';
      expect([read.messageId, read.statements[0]!.id, read.statements[0]!.owner]).toEqual(['M&<>', 'ID&<>"\'', clean]);
      expect([e.unstructured.join(''), e.additionalInfo, e.counterparty?.name, e.reference]).toEqual([
        clean,
        clean,
        clean,
        'R&<>"\'',
      ]);
    }
  });

  test('long labels: Ustrd in 140-code-point pieces (emoji never split), AddtlNtryInf cut at 500, names at 140', async () => {
    const label = 'é'.repeat(139) + '😀' + 'x'.repeat(400) + '👍'.repeat(10);
    const m = message();
    const s = m.statements[0]!;
    s.movements[0] = { ...s.movements[0]!, label, counterparty: 'N'.repeat(139) + '😀😀' };
    s.ownerName = 'O'.repeat(200);
    for (const version of ['08', '02'] as const) {
      const xml = render(m, version);
      expect(await xsdErrors(version, [xml])).toEqual([]);
      const st = readCamt(xml).statements[0]!;
      const e = st.entries[0]!;
      const points = (t: string) => [...t].length;
      expect(e.unstructured.map(points)).toEqual([140, 140, 140, 130]);
      expect(e.unstructured[0]!.endsWith('😀')).toBe(true);
      expect(e.unstructured.join('')).toBe(label);
      expect(points(e.additionalInfo)).toBe(500);
      expect(e.additionalInfo).toBe([...label].slice(0, 500).join(''));
      expect(e.counterparty!.name).toBe('N'.repeat(139) + '😀');
      expect(st.owner).toBe('O'.repeat(140));
    }
  });

  test('accents and scripts are kept as they are (UTF-8, NFC), not transliterated', () => {
    const m = message();
    m.statements[0]!.movements[0]!.label = 'Cafe\u0301 Zürich 東京 Ελλάδα';
    const xml = renderCamt053(m);
    expect(xml.toString('utf8')).toContain('<Ustrd>Café Zürich 東京 Ελλάδα</Ustrd>');
    expect(xml.includes(Buffer.from('Café', 'utf8'))).toBe(true);
  });
});

describe('determinism', () => {
  test('same input, same bytes: twice, on a copy, and at another wall-clock time', () => {
    const m = message();
    const first = renderCamt053(m);
    expect(renderCamt053(m).equals(first)).toBe(true);
    expect(renderCamt053(structuredClone(m)).equals(first)).toBe(true);
    jest.useFakeTimers({ now: new Date('2031-07-14T12:00:00Z') });
    try {
      expect(renderCamt053(m).equals(first)).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('bank transaction codes', () => {
  test('Prtry is always the CFONB code; Domn only where the type names a family', () => {
    expect(bankTransactionCode('transfer', true)).toEqual({
      domain: { domain: 'PMNT', family: 'ICDT', subFamily: 'OTHR' },
      proprietary: '06',
    });
    expect(bankTransactionCode('withdrawal', true).domain?.subFamily).toBe('CWDL');
    expect(bankTransactionCode('withdrawal', false)).toEqual({ domain: undefined, proprietary: '99' });
    expect(bankTransactionCode('loan_payment', true)).toEqual({ domain: undefined, proprietary: '72' });
    expect(bankTransactionCode(undefined, false)).toEqual({ domain: undefined, proprietary: '91' });
    // Prototype member names are unknown types, not lookups into Object.prototype.
    expect(bankTransactionCode('constructor', true)).toEqual({ domain: undefined, proprietary: '99' });
    expect(bankTransactionCode('toString', false)).toEqual({ domain: undefined, proprietary: '91' });
  });
});

describe('errors name the field', () => {
  const cases: Array<[string, (m: CamtMessageInput) => void, string | RegExp]> = [
    ['message id', (m) => (m.messageId = ''), /^messageId: an identifier/],
    ['message id length', (m) => (m.messageId = 'x'.repeat(36)), 'messageId: longer than 35 characters'],
    ['creation time', (m) => (m.createdAt = '2026-12-01 06:00'), /^createdAt: "2026-12-01 06:00" is not a date-time/],
    ['creation day', (m) => (m.createdAt = '2026-02-30T06:00:00Z'), /^createdAt: /],
    ['page', (m) => (m.page = { number: 0, last: true }), /^page\.number: /],
    ['no statement', (m) => (m.statements = []), /^statements: at least one/],
    ['statement id', (m) => (m.statements[0]!.id = ' '), /^statements\[0\]\.id: /],
    ['currency', (m) => (m.statements[0]!.account.currency = 'EUX'), /^statements\[0\]\.account\.currency: "EUX"/],
    [
      'iban',
      (m) => (m.statements[0]!.account.iban = 'FR7630004000031234567890144'),
      /^statements\[0\]\.account\.iban: /,
    ],
    ['bic', (m) => (m.statements[0]!.servicerBic = 'BNP'), /^statements\[0\]\.servicerBic: "BNP" is not a BIC/],
    [
      'sequence',
      (m) => (m.statements[0]!.electronicSequenceNumber = -1),
      /^statements\[0\]\.electronicSequenceNumber: /,
    ],
    [
      'statement page',
      (m) => (m.statements[0]!.page = { number: 1e6, last: true }),
      /^statements\[0\]\.page\.number: /,
    ],
    ['opening date', (m) => (m.statements[0]!.opening.date = '2026-13-01'), /^statements\[0\]\.opening\.date: /],
    [
      'period',
      (m) => (m.statements[0]!.closing.date = '2026-10-31'),
      'statements[0].closing.date: 2026-10-31 is before the opening date 2026-11-01',
    ],
    [
      'decimals',
      (m) => (m.statements[0]!.movements[0]!.amount = '-42.101'),
      /^statements\[0\]\.movements\[0\]\.amount: "-42\.101" has more than 2 decimal/,
    ],
    [
      'not a number',
      (m) => (m.statements[0]!.movements[0]!.amount = '1e3'),
      /^statements\[0\]\.movements\[0\]\.amount: /,
    ],
    [
      '19 digits',
      (m) => {
        m.statements[0]!.movements[0]!.amount = '-10000000000000000.00';
      },
      'statements[0].movements[0].amount: the amount does not fit in 18 digits',
    ],
    [
      'booking date outside',
      (m) => (m.statements[0]!.movements[0]!.bookingDate = '2026-12-01'),
      'statements[0].movements[0].bookingDate: 2026-12-01 is outside the period 2026-11-01 – 2026-11-30',
    ],
    [
      'value date',
      (m) => (m.statements[0]!.movements[0]!.valueDate = 'soon'),
      /^statements\[0\]\.movements\[0\]\.valueDate: /,
    ],
    [
      'blank label',
      (m) => (m.statements[0]!.movements[0]!.label = ' \u0001\t'),
      'statements[0].movements[0].label: the label is empty',
    ],
    [
      'reference',
      (m) => (m.statements[0]!.movements[0]!.reference = 'R'.repeat(36)),
      'statements[0].movements[0].reference: longer than 35 characters',
    ],
    [
      'entry number',
      (m) => (m.statements[0]!.movements[0]!.entryNumber = 'E'.repeat(36)),
      'statements[0].movements[0].entryNumber: longer than 35 characters',
    ],
    [
      'balance',
      (m) => (m.statements[0]!.closing.balance = '1192.47'),
      'statements[0].closing.balance: opening balance + movements = 1192.46, not 1192.47',
    ],
  ];
  test.each(cases)('%s', (_name, mutate, expected) => {
    const m = message();
    mutate(m);
    let error: unknown;
    try {
      renderCamt053(m);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CamtError);
    if (typeof expected === 'string') expect((error as Error).message).toBe(expected);
    else expect((error as Error).message).toMatch(expected);
  });

  test('an unknown version and a BIC .02 refuses', () => {
    expect(() => renderCamt053(message(), { version: '05' as '08' })).toThrow(/^version: "05"/);
    const m = message();
    m.statements[0]!.servicerBic = '1234FRPP'; // digits in the bank code: BICFI (2014) only
    expect(() => renderCamt053(m, { version: '02' })).toThrow(
      /servicerBic: "1234FRPP" is not a BIC that camt\.053\.001\.02/,
    );
    expect(() => renderCamt053(m, { version: '08' })).not.toThrow();
  });
});
