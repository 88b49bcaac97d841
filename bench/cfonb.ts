/**
 * `npm run bench -- cfonb`: writes 1 000 000 movements as CFONB120 and compares with a plain
 * Buffer copy of the same number of bytes in the same run. Targets: ≥ 2 000 000 records/s and
 * ≥ 25 % of the copy's speed.
 */
import { writeCfonb, type StatementInput } from '../domain/cfonb120';

export async function benchCfonb(opts: { movements?: number } = {}): Promise<Record<string, unknown>> {
  const total = opts.movements ?? 1_000_000;
  const perStatement = 1000;
  const statements: StatementInput[] = [];
  for (let s = 0; s < total / perStatement; s++) {
    const movements = [];
    for (let m = 0; m < perStatement; m++)
      movements.push({
        bookingDate: '2026-11-03',
        valueDate: '2026-11-04',
        amount: m % 2 ? '-42.10' : '42.10',
        label: `PRLV SEPA EDF CLIENT ${m}`,
        type: m % 3 ? 'transfer' : 'order',
      });
    statements.push({
      account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
      opening: { date: '2026-11-01', balance: '1000.00' },
      closing: { date: '2026-11-30', balance: '1000.00' },
      movements,
    });
  }
  writeCfonb(statements.slice(0, 5)); // warm-up
  const t0 = process.hrtime.bigint();
  const out = writeCfonb(statements);
  const writeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const records = out.length / 121;

  const source = Buffer.alloc(out.length, 0x41);
  const target = Buffer.allocUnsafe(out.length);
  source.copy(target); // warm-up
  const c0 = process.hrtime.bigint();
  const rounds = 5;
  for (let i = 0; i < rounds; i++) source.copy(target);
  const copySeconds = Number(process.hrtime.bigint() - c0) / 1e9 / rounds;

  const recordsPerSecond = Math.round(records / writeSeconds);
  const ratioToCopy = Number((copySeconds / writeSeconds).toFixed(4));
  console.log(
    `cfonb: ${records} records (${(out.length / 1e6).toFixed(1)} MB) written in ${writeSeconds.toFixed(3)} s`,
  );
  console.log(
    `cfonb: ${recordsPerSecond.toLocaleString('en')} records/s; Buffer copy of the same bytes ${copySeconds.toFixed(4)} s → ratio ${ratioToCopy}`,
  );
  return { bench: 'cfonb', records, recordsPerSecond, ratioToCopy };
}
