/**
 * Command line of the CFONB120 engine (keep it stable: scripts and acceptance checks use it).
 *   npm run --silent cfonb -- write [--crlf|--no-separator] < statements.json > out.cfonb
 *   npm run --silent cfonb -- read [--lenient] < file.cfonb > statements.json
 * Bad input exits 1 with a message naming the statement, the movement and the field (write) or the
 * line and column (read).
 */
import { z } from 'zod';
import { CfonbError, readCfonb, writeCfonb, type StatementInput } from '../domain/cfonb120';

const decimal = z.string().regex(/^[+-]?\d+(\.\d+)?$/, 'doit être un nombre décimal en texte, par exemple "-42.10"');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'doit être une date AAAA-MM-JJ');
const schema = z.object({
  statements: z.array(
    z.object({
      account: z.object({
        iban: z.string().min(1),
        currency: z.string().length(3, 'doit être un code ISO 4217 de 3 lettres'),
      }),
      opening: z.object({ date, balance: decimal }),
      closing: z.object({ date, balance: decimal }),
      movements: z.array(
        z.object({
          bookingDate: date,
          valueDate: date.optional(),
          amount: decimal,
          label: z.string(),
          type: z.string().optional(),
          reference: z.string().optional(),
          counterparty: z.string().optional(),
          entryNumber: z.string().optional(),
        }),
      ),
    }),
  ),
});

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function path(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

async function main(): Promise<number> {
  const [command, ...flags] = process.argv.slice(2);
  if (command === 'write') {
    let json: unknown;
    try {
      json = JSON.parse((await readStdin()).toString('utf8'));
    } catch (e) {
      process.stderr.write(`input: not valid JSON (${(e as Error).message})\n`);
      return 1;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        process.stderr.write(`${path(issue.path) || 'input'}: ${issue.message}\n`);
      return 1;
    }
    const lineSeparator = flags.includes('--crlf') ? '\r\n' : flags.includes('--no-separator') ? '' : '\n';
    process.stdout.write(writeCfonb(parsed.data.statements as StatementInput[], { lineSeparator }));
    return 0;
  }
  if (command === 'read') {
    const statements = readCfonb(await readStdin(), { lenient: flags.includes('--lenient') });
    process.stdout.write(JSON.stringify({ statements }, null, 2) + '\n');
    return 0;
  }
  process.stderr.write(
    'usage: cfonb write [--crlf|--no-separator] < statements.json | cfonb read [--lenient] < file.cfonb\n',
  );
  return 2;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof CfonbError ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
