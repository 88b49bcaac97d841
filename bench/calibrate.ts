/**
 * The machine's speed at one moment: a fixed single-threaded workload (SHA-256 of 64 MiB, a JSON
 * round trip of 100 000 small objects), the median of five runs, in milliseconds. The same code ran
 * up to twice as fast in one hour as in the next on the development machine's 2 shared cores
 * (bench/RESULTS.md, 2026-12-06): `npm run bench` measures it before and after each benchmark and
 * puts both beside the figures (`calibrationMs`), so that two runs can be told apart from two codes.
 */
import { createHash } from 'node:crypto';

export function calibrate(): number {
  const data = Buffer.alloc(64 * 2 ** 20, 7);
  const rows = Array.from({ length: 100_000 }, (_, i) => ({
    id: i,
    name: `Société ${i}`,
    amount: (i * 1.17).toFixed(2),
  }));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    createHash('sha256').update(data).digest();
    JSON.parse(JSON.stringify(rows));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return +times[2]!.toFixed(1);
}
