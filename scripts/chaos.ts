/**
 * `npm run chaos [-- --connections N --days D --kills K]` (defaults 1 000, 3, 4): the crash-and-fault
 * harness (bench/chaos.ts). Prints the figures, appends them to bench/RESULTS.md, ends with one
 * JSON line {connections, statements, transactions, kills, faults, lost, doubled, unchained} and
 * exits non-zero on any violation (lost, doubled, unchained, unreported or stale transactions,
 * statement e-mails missing or sent twice).
 */
import { runChaos } from '../bench/chaos';
import { appendResults } from '../bench/results';
import { stopEmbeddedPostgres } from '../bench/stack';

function flag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const raw = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer (got "${raw}")`);
  return v;
}

async function main() {
  const connections = flag('connections', 1000);
  const days = flag('days', 3);
  const kills = flag('kills', 4);
  if (connections < 1 || days < 2) throw new Error('--connections must be ≥ 1 and --days ≥ 2');
  const result = await runChaos({ connections, days, kills });
  const { details, ...line } = result;
  console.log(`chaos: ${JSON.stringify(details)}`);
  appendResults('chaos', result as unknown as Record<string, unknown>);
  console.log(JSON.stringify(line));
  await stopEmbeddedPostgres();
  const violations =
    result.lost +
    result.doubled +
    result.unchained +
    details.unreported +
    details.stale +
    details.emailsMissing +
    details.emailsDuplicated;
  if (violations > 0) {
    console.error(`chaos: ${violations} violation(s):\n  ${details.examples.join('\n  ')}`);
    process.exit(1);
  }
}

// Ctrl-C or a kill: exit through process.exit so that the children's exit hooks run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch(async (e) => {
  console.error(e);
  await stopEmbeddedPostgres().catch(() => undefined);
  process.exit(2);
});
