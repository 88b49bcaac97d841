import fc from 'fast-check';
import {
  LA_POSTE_HEAD_OFFICE_SIRET,
  PERIODICITY_IMPORT_NAMES,
  PERIODICITY_KINDS,
  PERIODICITY_LABELS,
  checkPeriodicity,
  describePeriodicity,
  formatIban,
  formatSirenOrSiret,
  isValidIban,
  isValidSiren,
  isValidSiret,
  luhnValid,
  maskIban,
  normalizeIban,
  normalizeIdentifier,
  parsePeriodicityKind,
  periodicityFields,
  periodicityProblems,
  periodicitySchema,
  toPeriodicity,
  validateIban,
  validateNic,
  validateSiren,
  validateSiret,
  type PeriodicityInput,
} from '../../domain/identifiers';

/** Independent Luhn: doubles every second digit from the right, written differently from the module. */
const luhnOracle = (digits: string) =>
  [...digits]
    .reverse()
    .map((c, i) => (i % 2 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][Number(c)]! : Number(c)))
    .reduce((a, b) => a + b, 0) %
    10 ===
  0;
/** Completes a prefix with the one digit that makes the Luhn key valid. */
const withKey = (prefix: string) => {
  for (let k = 0; k <= 9; k++) if (luhnOracle(prefix + k)) return prefix + k;
  throw new Error('unreachable');
};
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const digitSum = (s: string) => [...s].reduce((a, c) => a + Number(c), 0);

describe('SIREN', () => {
  test.each(['732829320', '552100554', '356000000', '443061841', '542107651'])('%s is valid', (siren) => {
    expect(validateSiren(siren)).toEqual({ ok: true, value: siren });
    expect(isValidSiren(siren)).toBe(true);
  });

  test.each([
    ['732 829 320', '732829320'],
    ['732.829.320', '732829320'],
    ['732-829-320', '732829320'],
    ['732\u00a0829\u00a0320', '732829320'], // NBSP, as pasted from a web page
    ['732\u202f829\u202f320', '732829320'], // narrow NBSP (French number formatting)
    ['  732829320\t', '732829320'],
    ['732\u2013829\u2013320', '732829320'], // en dash
  ])('normalises %j before checking', (input, value) => {
    expect(validateSiren(input)).toEqual({ ok: true, value });
    expect(isValidSiren(input)).toBe(false); // the boolean form takes exact digits only
  });

  test.each([
    ['', 'Le SIREN est obligatoire'],
    [' . - ', 'Le SIREN est obligatoire'],
    ['73282932', 'Le SIREN doit comporter 9 chiffres'],
    ['7328293200', 'Le SIREN doit comporter 9 chiffres'],
    ['ABCDEFGHI', 'Le SIREN ne doit contenir que des chiffres'],
    ['73282932O', 'Le SIREN ne doit contenir que des chiffres'],
    ['732829321', 'La clé de contrôle du SIREN est invalide'],
    ['000000000', 'Le SIREN ne peut pas être composé uniquement de zéros'],
  ])('%j is refused: %s', (input, reason) => {
    expect(validateSiren(input)).toEqual({ ok: false, reason });
  });

  test('exactly one key digit completes any 8-digit prefix (Luhn agrees with an independent oracle)', () => {
    fc.assert(
      fc.property(digits(8), (prefix) => {
        const valid = [...'0123456789'].filter((k) => validateSiren(prefix + k).ok);
        if (/^0{8}$/.test(prefix)) expect(valid).toEqual([]);
        else expect(valid).toEqual([withKey(prefix).slice(-1)]);
      }),
      { numRuns: 300 },
    );
  });

  test('any single mistyped digit is detected', () => {
    fc.assert(
      fc.property(digits(8), fc.nat(8), fc.integer({ min: 1, max: 9 }), (prefix, pos, delta) => {
        fc.pre(!/^0{8}$/.test(prefix));
        const siren = withKey(prefix);
        const typo = siren.slice(0, pos) + ((Number(siren[pos]) + delta) % 10) + siren.slice(pos + 1);
        expect(validateSiren(typo)).toEqual({ ok: false, reason: expect.any(String) });
      }),
      { numRuns: 300 },
    );
  });

  test('luhnValid needs digits', () => {
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('12a')).toBe(false);
    expect(luhnValid('0')).toBe(true);
    expect(luhnValid('79927398713')).toBe(true); // the textbook example
    expect(luhnValid('79927398710')).toBe(false);
  });
});

describe('NIC and SIRET', () => {
  test.each([
    ['73282932000074', true],
    ['732 829 320 00074', true],
    ['73282932000075', false],
    ['55210055400013', true],
  ])('SIRET %s valid: %s', (siret, valid) => {
    expect(validateSiret(siret).ok).toBe(valid);
  });

  test.each([
    ['', 'Le SIRET est obligatoire'],
    ['7328293200007', 'Le SIRET doit comporter 14 chiffres'],
    ['732829320000740', 'Le SIRET doit comporter 14 chiffres'],
    ['7328293200007A', 'Le SIRET ne doit contenir que des chiffres'],
    ['73282932100074', 'La clé de contrôle du SIREN (9 premiers chiffres du SIRET) est invalide'],
    ['00000000000000', 'Le SIREN (9 premiers chiffres du SIRET) ne peut pas être composé uniquement de zéros'],
    ['73282932000075', 'La clé de contrôle du SIRET est invalide'],
  ])('SIRET %j is refused: %s', (input, reason) => {
    expect(validateSiret(input)).toEqual({ ok: false, reason });
  });

  test('NIC: 5 digits, and with its SIREN a valid SIRET key', () => {
    expect(validateNic('00074')).toEqual({ ok: true, value: '00074' });
    expect(validateNic('00 074', '732 829 320')).toEqual({ ok: true, value: '00074' });
    expect(validateNic('123')).toEqual({ ok: false, reason: 'Le NIC doit comporter 5 chiffres' });
    expect(validateNic('123456')).toEqual({ ok: false, reason: 'Le NIC doit comporter 5 chiffres' });
    expect(validateNic('ABCDE')).toEqual({ ok: false, reason: 'Le NIC ne doit contenir que des chiffres' });
    expect(validateNic('')).toEqual({ ok: false, reason: 'Le NIC est obligatoire' });
    expect(validateNic('00075', '732829320')).toEqual({
      ok: false,
      reason: 'La clé de contrôle du SIRET (SIREN + NIC) est invalide',
    });
    // An invalid SIREN is the SIREN's error, not the NIC's: only the NIC's format is checked.
    expect(validateNic('00075', '732829321')).toEqual({ ok: true, value: '00075' });
  });

  test('SIRET = valid SIREN + Luhn over 14 digits (outside La Poste)', () => {
    fc.assert(
      fc.property(digits(8), digits(5), (prefix, nic) => {
        fc.pre(!/^0{8}$/.test(prefix));
        const siren = withKey(prefix);
        fc.pre(siren !== '356000000');
        expect(validateSiret(siren + nic).ok).toBe(luhnOracle(siren + nic));
        expect(isValidSiret(siren + nic)).toBe(luhnOracle(siren + nic));
        expect(validateNic(nic, siren).ok).toBe(luhnOracle(siren + nic));
      }),
      { numRuns: 500 },
    );
  });

  test('La Poste (356000000): the digit sum is a multiple of 5; its head office keeps the Luhn key', () => {
    expect(validateSiret('35600000000001').ok).toBe(true); // sum 15, not Luhn
    expect(luhnValid('35600000000001')).toBe(false);
    expect(validateSiret('35600000000014')).toEqual({ ok: false, reason: 'La clé de contrôle du SIRET est invalide' });
    expect(validateSiret(LA_POSTE_HEAD_OFFICE_SIRET).ok).toBe(true); // sum 26, Luhn-valid
    expect(validateSiret('356 000 000 00048').ok).toBe(true);
    // Exhaustive over every NIC: valid exactly when the sum rule holds, or for the head office.
    let valid = 0;
    for (let n = 0; n < 100_000; n++) {
      const siret = '356000000' + String(n).padStart(5, '0');
      const expected = siret === LA_POSTE_HEAD_OFFICE_SIRET || digitSum(siret) % 5 === 0;
      if (validateSiret(siret).ok !== expected) throw new Error(`${siret}: expected ${expected}`);
      if (expected) valid++;
    }
    expect(valid).toBe(20_001); // one NIC in five, plus the head office
    // A Luhn-valid La Poste SIRET that breaks the sum rule is refused (not the head office).
    const luhnOnly = Array.from({ length: 1000 }, (_, i) => '356000000' + String(i).padStart(5, '0')).find(
      (s) => luhnOracle(s) && digitSum(s) % 5 !== 0 && s !== LA_POSTE_HEAD_OFFICE_SIRET,
    )!;
    expect(validateSiret(luhnOnly).ok).toBe(false);
    expect(validateNic(luhnOnly.slice(9), '356000000').ok).toBe(false);
  });

  test('normalisation and formatting', () => {
    expect(normalizeIdentifier(' 732\u00a0829.320-00074 ')).toBe('73282932000074');
    expect(formatSirenOrSiret('732829320')).toBe('732 829 320');
    expect(formatSirenOrSiret('73282932000074')).toBe('732 829 320 00074');
    expect(formatSirenOrSiret('12')).toBe('12');
    expect(isValidSiret('732 829 320 00074')).toBe(false); // exact digits only
  });
});

describe('Periodicity rules', () => {
  // Independent statement of Annexe 1 (plus: ANNUAL day valid for its month, 29 February allowed).
  const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const oracle = (kind: string, month: number | null, day: number | null): boolean => {
    const dom = day !== null && day >= 0 && day <= 28;
    switch (kind) {
      case 'DAILY':
        return month === null && day === null;
      case 'WEEKLY':
        return month === null && day !== null && day >= 1 && day <= 7;
      case 'MONTHLY':
        return month === null && dom;
      case 'QUARTERLY':
        return month !== null && month >= 1 && month <= 3 && dom;
      case 'SEMIANNUAL':
        return month !== null && month >= 1 && month <= 6 && dom;
      case 'ANNUAL':
        return month !== null && month >= 1 && month <= 12 && day !== null && day >= 1 && day <= longest[month - 1]!;
      default:
        return false;
    }
  };

  test('exhaustive: every kind × month (absent, -1…13) × day (absent, -1…32) agrees with Annexe 1', () => {
    let accepted = 0;
    for (const kind of [...PERIODICITY_KINDS, 'HOURLY'])
      for (const month of [null, ...Array.from({ length: 15 }, (_, i) => i - 1)])
        for (const day of [null, ...Array.from({ length: 34 }, (_, i) => i - 1)]) {
          const expected = oracle(kind, month, day);
          const problems = periodicityProblems({ kind, month, day });
          const parsed = periodicitySchema.safeParse({ kind, month, day });
          if ((problems.length === 0) !== expected || parsed.success !== expected)
            throw new Error(`${kind} month=${month} day=${day}: expected ${expected}`);
          if (expected) accepted++;
        }
    // 1 + 7 + 29 + 3×29 + 6×29 + 366 valid periodicities.
    expect(accepted).toBe(1 + 7 + 29 + 87 + 174 + 366);
  });

  test.each<[PeriodicityInput, 'kind' | 'day' | 'month' | null, RegExp | null]>([
    [{ kind: 'DAILY' }, null, null],
    [{ kind: 'DAILY', day: null, month: null }, null, null],
    [{ kind: 'DAILY', day: 3 }, 'day', /^Le jour n'est pas attendu pour une périodicité quotidienne$/],
    [{ kind: 'WEEKLY', day: 1 }, null, null],
    [{ kind: 'WEEKLY', day: 7 }, null, null],
    [{ kind: 'WEEKLY', day: 0 }, 'day', /^Le jour doit être compris entre 1 et 7 \(1 = dimanche, 7 = samedi\)$/],
    [{ kind: 'WEEKLY', day: 8 }, 'day', /entre 1 et 7/],
    [{ kind: 'WEEKLY' }, 'day', /^Le jour est obligatoire pour une périodicité hebdomadaire$/],
    [{ kind: 'WEEKLY', day: 2, month: 1 }, 'month', /^Le mois n'est pas attendu pour une périodicité hebdomadaire$/],
    [{ kind: 'MONTHLY', day: 0 }, null, null],
    [{ kind: 'MONTHLY', day: 28 }, null, null],
    [
      { kind: 'MONTHLY', day: 29 },
      'day',
      /^Le jour doit être compris entre 1 et 28, ou 0 pour le dernier jour du mois$/,
    ],
    [{ kind: 'MONTHLY', day: 1.5 }, 'day', /^Le jour doit être un nombre entier$/],
    [{ kind: 'QUARTERLY', month: 3, day: 0 }, null, null],
    [
      { kind: 'QUARTERLY', month: 4, day: 1 },
      'month',
      /^Le mois doit être compris entre 1 et 3 \(mois dans le trimestre\)$/,
    ],
    [{ kind: 'QUARTERLY', day: 1 }, 'month', /^Le mois est obligatoire pour une périodicité trimestrielle$/],
    [{ kind: 'QUARTERLY', month: 1, day: 29 }, 'day', /entre 1 et 28/],
    [{ kind: 'SEMIANNUAL', month: 6, day: 28 }, null, null],
    [{ kind: 'SEMIANNUAL', month: 7, day: 1 }, 'month', /entre 1 et 6 \(mois dans le semestre\)/],
    [{ kind: 'ANNUAL', month: 12, day: 31 }, null, null],
    [{ kind: 'ANNUAL', month: 2, day: 29 }, null, null],
    [{ kind: 'ANNUAL', month: 2, day: 30 }, 'day', /^Le jour doit être compris entre 1 et 29 pour le mois de février/],
    [{ kind: 'ANNUAL', month: 4, day: 31 }, 'day', /^Le jour doit être compris entre 1 et 30 pour le mois d'avril$/],
    [{ kind: 'ANNUAL', month: 13, day: 1 }, 'month', /^Le mois doit être compris entre 1 et 12$/],
    [{ kind: 'ANNUAL', month: 13, day: 32 }, 'day', /^Le jour doit être compris entre 1 et 31$/],
    [{ kind: 'ANNUAL', month: 6, day: 0 }, 'day', /entre 1 et 30 pour le mois de juin/],
    [{ kind: 'HOURLY' }, 'kind', /^La périodicité doit être l'une de : DAILY, WEEKLY, MONTHLY/],
  ])('%j → %s', (input, field, reason) => {
    const problems = periodicityProblems(input);
    const parsed = periodicitySchema.safeParse(input);
    if (field === null) {
      expect(problems).toEqual([]);
      expect(parsed.success).toBe(true);
      return;
    }
    expect(problems.map((p) => p.field)).toContain(field);
    expect(problems.find((p) => p.field === field)!.reason).toMatch(reason!);
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((i) => i.path[0] === field)!;
    expect(issue.path).toEqual([field]);
    expect(issue.message).toMatch(reason!);
  });

  test('schema: wrong types and missing kind are named, in French; output keeps only the used fields', () => {
    const issues = (v: unknown) =>
      periodicitySchema.safeParse(v).error?.issues.map((i) => ({ path: i.path, message: i.message }));
    expect(issues({ kind: 'WEEKLY', day: '2' })).toEqual([
      { path: ['day'], message: 'Le jour doit être un nombre entier' },
    ]);
    expect(issues({ kind: 'ANNUAL', month: 'mars', day: 1 })).toEqual([
      { path: ['month'], message: 'Le mois doit être un nombre entier' },
    ]);
    expect(issues({})).toEqual([{ path: ['kind'], message: 'La périodicité (kind) est obligatoire' }]);
    expect(issues(null)).toEqual([{ path: [], message: 'La périodicité doit être un objet { kind, day, month }' }]);
    expect(issues({ kind: 'MONTHLY', day: Number.NaN })?.[0]?.path).toEqual(['day']);
    expect(issues({ kind: 'QUARTERLY', month: 5, day: 40 })).toEqual([
      { path: ['month'], message: 'Le mois doit être compris entre 1 et 3 (mois dans le trimestre)' },
      { path: ['day'], message: 'Le jour doit être compris entre 1 et 28, ou 0 pour le dernier jour du mois' },
    ]);
    expect(periodicitySchema.parse({ kind: 'DAILY', day: null, month: null })).toEqual({ kind: 'DAILY' });
    expect(periodicitySchema.parse({ kind: 'MONTHLY', day: 0, month: null })).toEqual({ kind: 'MONTHLY', day: 0 });
    expect(periodicitySchema.parse({ kind: 'ANNUAL', month: 2, day: 29, extra: 1 })).toEqual({
      kind: 'ANNUAL',
      month: 2,
      day: 29,
    });
  });

  test('checkPeriodicity / toPeriodicity / periodicityFields', () => {
    expect(checkPeriodicity({ kind: 'WEEKLY', day: 2, month: null })).toEqual({
      ok: true,
      value: { kind: 'WEEKLY', day: 2 },
    });
    const bad = checkPeriodicity({ kind: 'QUARTERLY', month: 0, day: 29 });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.field)).toEqual(['month', 'day']);
    expect(bad.reason).toBe(bad.problems.map((p) => p.reason).join(' ; '));
    expect(() => toPeriodicity({ kind: 'MONTHLY', day: 31 })).toThrow(RangeError);
    expect(periodicityFields({ kind: 'DAILY' })).toEqual({ kind: 'DAILY', day: null, month: null });
    expect(periodicityFields({ kind: 'WEEKLY', day: 3 })).toEqual({ kind: 'WEEKLY', day: 3, month: null });
    expect(periodicityFields({ kind: 'ANNUAL', month: 2, day: 29 })).toEqual({ kind: 'ANNUAL', day: 29, month: 2 });
  });

  test('labels for e-mail subjects and the import file names', () => {
    expect(PERIODICITY_LABELS).toEqual({
      DAILY: 'QUOTIDIEN',
      WEEKLY: 'HEBDOMADAIRE',
      MONTHLY: 'MENSUEL',
      QUARTERLY: 'TRIMESTRIEL',
      SEMIANNUAL: 'SEMESTRIEL',
      ANNUAL: 'ANNUEL',
    });
    expect(`Relevé ${PERIODICITY_LABELS.DAILY} du compte bancaire test`).toBe(
      'Relevé QUOTIDIEN du compte bancaire test',
    );
    expect(Object.values(PERIODICITY_IMPORT_NAMES)).toEqual([
      'JOURNALIERE',
      'HEBDOMADAIRE',
      'MENSUELLE',
      'TRIMESTRIELLE',
      'SEMESTRIELLE',
      'ANNUELLE',
    ]);
  });

  test.each([
    ['DAILY', 'DAILY'],
    ['journalière', 'DAILY'],
    ['JOURNALIERE', 'DAILY'],
    ['Quotidienne', 'DAILY'],
    ['QUOTIDIEN', 'DAILY'],
    [' hebdomadaire ', 'WEEKLY'],
    ['MENSUELLE', 'MONTHLY'],
    ['Mensuel', 'MONTHLY'],
    ['trimestrielle', 'QUARTERLY'],
    ['SEMESTRIELLE', 'SEMIANNUAL'],
    ['semiannual', 'SEMIANNUAL'],
    ['Annuelle', 'ANNUAL'],
    ['HORAIRE', null],
    ['', null],
  ])('parsePeriodicityKind(%j) → %s', (text, kind) => {
    expect(parsePeriodicityKind(text)).toBe(kind);
  });

  test.each<[PeriodicityInput, string]>([
    [{ kind: 'DAILY' }, 'Quotidienne'],
    [{ kind: 'WEEKLY', day: 1 }, 'Hebdomadaire, le dimanche'],
    [{ kind: 'WEEKLY', day: 2 }, 'Hebdomadaire, le lundi'],
    [{ kind: 'WEEKLY', day: 7 }, 'Hebdomadaire, le samedi'],
    [{ kind: 'MONTHLY', day: 15 }, 'Mensuelle, le 15'],
    [{ kind: 'MONTHLY', day: 1 }, 'Mensuelle, le 1er'],
    [{ kind: 'MONTHLY', day: 0 }, 'Mensuelle, fin de mois'],
    [
      { kind: 'QUARTERLY', month: 1, day: 1 },
      'Trimestrielle, le 1er du 1er mois du trimestre (janvier, avril, juillet, octobre)',
    ],
    [
      { kind: 'QUARTERLY', month: 3, day: 0 },
      'Trimestrielle, fin du 3e mois du trimestre (mars, juin, septembre, décembre)',
    ],
    [{ kind: 'SEMIANNUAL', month: 2, day: 10 }, 'Semestrielle, le 10 du 2e mois du semestre (février, août)'],
    [{ kind: 'SEMIANNUAL', month: 6, day: 0 }, 'Semestrielle, fin du 6e mois du semestre (juin, décembre)'],
    [{ kind: 'ANNUAL', month: 12, day: 31 }, 'Annuelle, le 31 décembre'],
    [{ kind: 'ANNUAL', month: 1, day: 1 }, 'Annuelle, le 1er janvier'],
    [{ kind: 'ANNUAL', month: 2, day: 29 }, 'Annuelle, le 29 février (le 28 les années non bissextiles)'],
  ])('describePeriodicity(%j) = %j', (p, text) => {
    expect(describePeriodicity(p)).toBe(text);
  });

  test('describePeriodicity refuses an invalid periodicity', () => {
    expect(() => describePeriodicity({ kind: 'MONTHLY', day: 30 })).toThrow(/invalid periodicity/);
  });
});

describe('IBAN', () => {
  const iban = 'FR7630006000011234567890189';

  test('normalise: spaces of any kind, dots, dashes, lower case, "IBAN" prefix', () => {
    expect(normalizeIban('fr76 3000\u00a06000-0112.3456 7890 189')).toBe(iban);
    expect(normalizeIban('IBAN : FR76 3000 6000 0112 3456 7890 189')).toBe(iban);
    expect(normalizeIban('IBAN FR7630006000011234567890189')).toBe(iban);
  });

  test.each([
    [iban, { ok: true, value: iban }],
    ['fr76 3000 6000 0112 3456 7890 189', { ok: true, value: iban }],
    ['DE89 3704 0044 0532 0130 00', { ok: true, value: 'DE89370400440532013000' }],
    ['', { ok: false, reason: "L'IBAN est obligatoire" }],
    [
      'FR76 3000 6000 0112 3456 7890 18#',
      { ok: false, reason: "L'IBAN ne doit contenir que des lettres et des chiffres" },
    ],
    ['XX7630006000011234567890189', { ok: false, reason: "Le code pays de l'IBAN (2 premières lettres) est inconnu" }],
    [
      'FR7630006000011234567890',
      { ok: false, reason: "La longueur de l'IBAN est incorrecte pour ce pays (27 caractères attendus)" },
    ],
    ['FR0030006000011234567890189', { ok: false, reason: "La clé de contrôle de l'IBAN est invalide" }],
    // One mistyped digit breaks both the IBAN key and the RIB key: the IBAN key is reported.
    ['FR7630006000011234567890188', { ok: false, reason: "La clé de contrôle de l'IBAN est invalide" }],
    [
      'FRAB30006000011234567890189',
      { ok: false, reason: "La clé de l'IBAN (3e et 4e caractères) doit être composée de 2 chiffres" },
    ],
  ])('validateIban(%j)', (input, expected) => {
    expect(validateIban(input)).toEqual(expected);
    expect(isValidIban(input)).toBe(expected.ok);
  });

  test('a wrong RIB key with a recomputed IBAN key is reported as such', () => {
    // RIB key 88 instead of 89, IBAN key recomputed (ISO 7064 mod 97-10) so only the RIB key is wrong.
    const bban = '30006000011234567890188';
    const numeric = [...(bban + 'FR00')].map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55))).join('');
    const key = String(98 - Number(BigInt(numeric) % 97n)).padStart(2, '0');
    expect(validateIban(`FR${key}${bban}`)).toEqual({ ok: false, reason: 'La clé RIB du compte est invalide' });
  });

  test('format by 4 and mask', () => {
    expect(formatIban(iban)).toBe('FR76 3000 6000 0112 3456 7890 189');
    expect(formatIban('de89370400440532013000')).toBe('DE89 3704 0044 0532 0130 00');
    expect(maskIban(iban)).toBe('FR76 **** **** **** **** ***0 189');
    expect(maskIban('FR76 3000 6000 0112 3456 7890 189')).toBe('FR76 **** **** **** **** ***0 189');
    expect(maskIban('DE89370400440532013000')).toBe('DE89 **** **** **** **30 00');
    expect(maskIban('FR76')).toBe('****');
    // The mask never shows more than the country, the key and the last four characters.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJ0123456789'), minLength: 9, maxLength: 34 }), (s) => {
        const masked = maskIban(s).replace(/ /g, '');
        expect(masked.length).toBe(s.length);
        expect(masked.slice(0, 4)).toBe(s.slice(0, 4));
        expect(masked.slice(-4)).toBe(s.slice(-4));
        expect(masked.slice(4, -4)).toMatch(/^\*+$/);
      }),
    );
  });
});
