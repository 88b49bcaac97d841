/**
 * bench/RESULTS.md: every benchmark run appends one section (date, machine, figures), so that the
 * history of the figures lives next to the code that produced them.
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const FILE = join(__dirname, 'RESULTS.md');
const HEADER = `# Benchmark results

Appended by \`npm run bench\` (scripts/bench.ts) and \`npm run chaos\`: one section per run, newest last.
Machine figures are the whole machine's; other processes may have shared it during the run.
`;

export function machine(): string {
  const list = cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return `${list.length} cores (${list[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, commit ${commit}`;
}

export function appendResults(name: string, result: Record<string, unknown>, file = FILE): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  const { details, ...line } = result;
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const lines = [`\n## ${name} — ${when} UTC`, '', `Machine: ${machine()}`, '', '```json', JSON.stringify(line)];
  if (details !== undefined) lines.push(JSON.stringify(details));
  lines.push('```', '');
  appendFileSync(file, lines.join('\n'));
}
