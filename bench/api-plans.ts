/**
 * EXPLAIN (ANALYZE, BUFFERS) of the SQL a request really sent (captured by bench/api-server.ts), and
 * a compact summary of each plan: its scans, whether an index serves it, its time.
 */
import { Client } from 'pg';
import { API_SESSION_SETTINGS } from '../api/database';
import type { CapturedQuery } from './api-server';

export interface PlanSummary {
  sql: string;
  ms: number;
  /** Index Scan, Index Only Scan or Bitmap Index Scan somewhere in the plan. */
  index: boolean;
  /** The plan's scan nodes: "Index Scan Statement_receivedAt_idx", "Seq Scan Company"… */
  scans: string[];
  /** Sequential scans of the big tables (what the benchmark seeds in bulk) reading over 10 000 rows. */
  bigSeqScans: Array<{ table: string; rows: number }>;
}

const BIG = new Set(['Company', 'BankConnection', 'BankAccount', 'Link', 'Statement']);

/**
 * A sequential scan under a LIMIT that stops after a few hundred rows costs less than an index
 * descent: only one that reads more than this many rows of a big table counts against the plan.
 */
const SEQ_SCAN_ROWS = 10_000;

/** Each sequential scan's table and the rows it read (returned, times its loops, plus filtered out). */
function seqScansRead(lines: string[]): Array<{ table: string; rows: number }> {
  return lines.flatMap((l, i) => {
    const m = /Seq Scan on "?([^"\s]+)"? .*rows=(\d+) loops=(\d+)/.exec(l);
    if (!m) return [];
    const removed = lines
      .slice(i + 1, i + 5)
      .map((n) => /Rows Removed by Filter: (\d+)/.exec(n)?.[1])
      .find(Boolean);
    return [{ table: m[1]!, rows: Number(m[2]) * Number(m[3]) + Number(removed ?? 0) * Number(m[3]) }];
  });
}

/** A request's plans use indexes: some index node, and no sequential scan reading over 10 000 rows of a big table. */
export const usesIndexes = (plans: PlanSummary[]) =>
  plans.some((p) => p.index) && plans.every((p) => !p.bigSeqScans.length);

const SCAN =
  /(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan|Bitmap Heap Scan)(?: Backward)?(?: using (\S+))?(?: on (\S+))?/;

/** The statement's gist: its first line, without the column list, at most 90 characters. */
const gist = (sql: string) =>
  sql
    .replace(/\s+/g, ' ')
    .replace(/^SELECT .*? FROM /, 'SELECT … FROM ')
    .slice(0, 90);

export async function explainAll(
  url: string,
  queries: CapturedQuery[],
  print: (line: string) => void,
): Promise<PlanSummary[]> {
  // The API's own session settings (api/database.ts): the plans its requests run.
  const options = Object.entries(API_SESSION_SETTINGS)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const pg = new Client({ connectionString: url, options });
  await pg.connect();
  try {
    const out: PlanSummary[] = [];
    for (const q of queries) {
      // Reads only (the API key's lastUsedAt update and transaction control are not searches).
      if (!/^\s*(SELECT|WITH)\b/i.test(q.text)) continue;
      const { rows } = await pg.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.text}`,
        q.values,
      );
      const lines = rows.map((r) => r['QUERY PLAN']);
      const scans = lines.flatMap((l) => {
        const m = SCAN.exec(l);
        if (!m || m[1] === 'Bitmap Heap Scan') return [];
        return [[m[1], m[2], m[3]].filter(Boolean).join(' ').replace(/"/g, '')];
      });
      const ms = Number(/Execution Time: ([\d.]+)/.exec(lines.join('\n'))?.[1] ?? NaN);
      const bigSeqScans = seqScansRead(lines).filter((s) => BIG.has(s.table) && s.rows > SEQ_SCAN_ROWS);
      const summary = {
        sql: gist(q.text),
        ms: +ms.toFixed(2),
        index: scans.some((s) => s.includes('Index')),
        scans,
        bigSeqScans,
      };
      out.push(summary);
      print(`    ${summary.sql}`);
      for (const l of lines) print(`      ${l}`);
    }
    return out;
  } finally {
    await pg.end();
  }
}
