/**
 * `npm run bench -- camt`: renders 1 000 000 movements as camt.053 (1 000 statements of 1 000
 * movements, one message each, as statements are delivered), in .001.08 then .001.02, and writes the
 * same statements as CFONB120 in the same run for comparison.
 */
import { writeCfonb, type StatementInput } from '../domain/cfonb120';
import { renderCamt053, type CamtStatementInput, type CamtVersion } from '../domain/camt053';

export async function benchCamt(opts: { movements?: number } = {}): Promise<Record<string, unknown>> {
  const total = opts.movements ?? 1_000_000;
  const perStatement = 1000;
  const statements: CamtStatementInput[] = [];
  for (let s = 0; s < total / perStatement; s++) {
    const movements = [];
    for (let m = 0; m < perStatement; m++)
      movements.push({
        bookingDate: '2026-11-03',
        valueDate: '2026-11-04',
        amount: m % 2 ? '-42.10' : '42.10',
        label: `PRLV SEPA EDF CLIENT ${m}`,
        type: m % 3 ? 'transfer' : 'order',
        reference: m % 4 ? undefined : `REF${m}`,
        counterparty: m % 5 ? undefined : 'EDF & Co',
      });
    statements.push({
      id: `STMT-${s}`,
      electronicSequenceNumber: s,
      account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
      opening: { date: '2026-11-01', balance: '1000.00' },
      closing: { date: '2026-11-30', balance: '1000.00' },
      movements,
    });
  }
  const render = (version: CamtVersion) => {
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (const s of statements)
      bytes += renderCamt053(
        { messageId: `MSG-${s.id}`, createdAt: '2026-12-01T06:00:00Z', statements: [s] },
        { version },
      ).length;
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes };
  };
  render('08'); // warm-up on the whole set: the figures below are the steady state
  const v08 = render('08');
  const v02 = render('02');

  const t0 = process.hrtime.bigint();
  let cfonbBytes = 0;
  for (const s of statements) cfonbBytes += writeCfonb([s as StatementInput]).length;
  const cfonbSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const perSecond = (seconds: number) => Math.round(total / seconds);
  const movementsPerSecond = perSecond(v08.seconds);
  const movementsPerSecond02 = perSecond(v02.seconds);
  const cfonbMovementsPerSecond = perSecond(cfonbSeconds);
  console.log(
    `camt: ${total.toLocaleString('en')} movements in ${statements.length} statements; ` +
      `.08 ${(v08.bytes / 1e6).toFixed(0)} MB in ${v08.seconds.toFixed(3)} s, .02 ${(v02.bytes / 1e6).toFixed(0)} MB in ${v02.seconds.toFixed(3)} s`,
  );
  console.log(
    `camt: ${movementsPerSecond.toLocaleString('en')} movements/s (.08), ${movementsPerSecond02.toLocaleString('en')} (.02); ` +
      `CFONB120 writer on the same statements ${cfonbMovementsPerSecond.toLocaleString('en')} movements/s (${(cfonbBytes / 1e6).toFixed(0)} MB)`,
  );
  return {
    bench: 'camt',
    movements: total,
    movementsPerSecond,
    movementsPerSecond02,
    megabytesPerSecond: Number((v08.bytes / 1e6 / v08.seconds).toFixed(1)),
    cfonbMovementsPerSecond,
  };
}
