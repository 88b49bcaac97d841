/**
 * `npm run bench -- cfonb`: writes 1 000 000 movements as CFONB120 (1 002 000 records, 121 MB) and
 * compares with a plain Buffer copy of the same number of bytes in the same run, then reads
 * 100 000 movements back. Targets: writer ≥ 2 000 000 records/s and ≥ 25 % of the copy's speed;
 * the reader has none yet. The movements are short upper-case labels only; a second, smaller
 * "mixed" input (lower case, accents, °, long labels with LIB records, counterparties, references,
 * entry numbers) gives the writer's figure on richer text, in the details.
 *
 * Timings are wall-clock, best of a few runs (this machine is shared: the median and the writer's
 * CPU time are in the details). A fresh Buffer of the file's size costs its page faults on first
 * touch, which the copy into a warm target does not pay: `freshBufferSeconds` (allocate and fill)
 * is that floor.
 */
import { readCfonb, writeCfonb, type StatementInput } from '../domain/cfonb120';

const GOAL_RECORDS_PER_SECOND = 2_000_000;
const GOAL_RATIO_TO_COPY = 0.25;

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

  // Writer: warm-up on 5 % of the input, then the best of three whole runs.
  writeCfonb(statements.slice(0, Math.max(1, statements.length / 20)));
  const writes: Array<{ seconds: number; cpuSeconds: number }> = [];
  let out: Buffer = Buffer.alloc(0);
  for (let round = 0; round < 3; round++) {
    out = Buffer.alloc(0); // let the previous file go before the next one is allocated
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    out = writeCfonb(statements);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    writes.push({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  }
  const records = out.length / 121;
  const writeSeconds = Math.min(...writes.map((w) => w.seconds));
  const medianWriteSeconds = writes.map((w) => w.seconds).sort((a, b) => a - b)[1]!;
  const writeCpuSeconds = Math.min(...writes.map((w) => w.cpuSeconds));

  // The mixed input: 200 000 movements, 287 200 records.
  const mixed = mixedStatements(200);
  writeCfonb(mixed.slice(0, 10));
  let mixedSeconds = Infinity;
  let mixedRecords = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    mixedRecords = writeCfonb(mixed).length / 121;
    mixedSeconds = Math.min(mixedSeconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const mixedRecordsPerSecond = Math.round(mixedRecords / mixedSeconds);

  // The same bytes copied into a warm target (as the previous figures were measured).
  const source = Buffer.alloc(out.length, 0x41);
  const target = Buffer.allocUnsafe(out.length);
  source.copy(target); // warm-up
  const c0 = process.hrtime.bigint();
  const rounds = 5;
  for (let i = 0; i < rounds; i++) source.copy(target);
  const copySeconds = Number(process.hrtime.bigint() - c0) / 1e9 / rounds;
  // A fresh Buffer of the same size, allocated and filled once: its first touch (page faults).
  const f0 = process.hrtime.bigint();
  Buffer.allocUnsafe(out.length).fill(0x20);
  const freshBufferSeconds = Number(process.hrtime.bigint() - f0) / 1e9;

  // Reader: 100 000 movements of the same shape (strict mode), best of three.
  const sample = writeCfonb(statements.slice(0, Math.max(1, statements.length / 10)));
  readCfonb(writeCfonb(statements.slice(0, 5)));
  let readSeconds = Infinity;
  for (let round = 0; round < 3; round++) {
    const r0 = process.hrtime.bigint();
    readCfonb(sample);
    readSeconds = Math.min(readSeconds, Number(process.hrtime.bigint() - r0) / 1e9);
  }
  const readRecords = sample.length / 121;

  const recordsPerSecond = Math.round(records / writeSeconds);
  const ratioToCopy = Number((copySeconds / writeSeconds).toFixed(4));
  const readerRecordsPerSecond = Math.round(readRecords / readSeconds);
  const fmt = (n: number) => n.toLocaleString('en');
  console.log(
    `cfonb: ${fmt(records)} records (${(out.length / 1e6).toFixed(1)} MB) written in ${writeSeconds.toFixed(3)} s ` +
      `(best of ${writes.length}; median ${medianWriteSeconds.toFixed(3)} s, CPU ${writeCpuSeconds.toFixed(3)} s)`,
  );
  console.log(
    `cfonb: writer ${fmt(recordsPerSecond)} records/s (goal ≥ ${fmt(GOAL_RECORDS_PER_SECOND)}); ` +
      `Buffer copy of the same bytes ${copySeconds.toFixed(4)} s → ratio ${ratioToCopy} (goal ≥ ${GOAL_RATIO_TO_COPY}); ` +
      `fresh Buffer allocated and filled ${freshBufferSeconds.toFixed(3)} s`,
  );
  console.log(
    `cfonb: writer on the mixed input ${fmt(mixedRecordsPerSecond)} records/s (${fmt(mixedRecords)} records in ${mixedSeconds.toFixed(3)} s)`,
  );
  console.log(
    `cfonb: reader ${fmt(readerRecordsPerSecond)} records/s (${fmt(readRecords)} records in ${readSeconds.toFixed(3)} s, strict; no goal set)`,
  );
  return {
    bench: 'cfonb',
    records,
    recordsPerSecond,
    goalRecordsPerSecond: GOAL_RECORDS_PER_SECOND,
    ratioToCopy,
    goalRatioToCopy: GOAL_RATIO_TO_COPY,
    readerRecordsPerSecond,
    details: {
      writeSeconds: round3(writeSeconds),
      medianWriteSeconds: round3(medianWriteSeconds),
      writeCpuSeconds: round3(writeCpuSeconds),
      mixedRecordsPerSecond,
      copySeconds: Number(copySeconds.toFixed(4)),
      freshBufferSeconds: round3(freshBufferSeconds),
      readRecords,
      readSeconds: round3(readSeconds),
    },
  };
}

const round3 = (n: number) => Number(n.toFixed(3));

/** Statements of 1 000 movements with the text real labels carry. */
function mixedStatements(count: number): StatementInput[] {
  const statements: StatementInput[] = [];
  for (let s = 0; s < count; s++) {
    const movements: StatementInput['movements'] = [];
    for (let m = 0; m < 1000; m++)
      movements.push({
        bookingDate: '2026-11-03',
        valueDate: '2026-11-04',
        amount: m % 2 ? '-42.10' : '42.10',
        label:
          m % 10 === 0
            ? `VIR SEPA RECU /DE Société Générale des Eaux de Marseille /MOTIF Facture n°${m} novembre 2026`
            : `Prlv SEPA EDF Clientèle n°${m}`,
        type: m % 3 ? 'transfer' : 'order',
        ...(m % 3 === 0 ? { counterparty: 'Électricité de France SA' } : {}),
        ...(m % 4 === 0 ? { reference: `REF${m}` } : {}),
        ...(m % 5 === 0 ? { entryNumber: String(m) } : {}),
      });
    statements.push({
      account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
      opening: { date: '2026-11-01', balance: '1000.00' },
      closing: { date: '2026-11-30', balance: '1000.00' },
      movements,
    });
  }
  return statements;
}
