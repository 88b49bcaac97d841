/**
 * Command line of the camt.053 renderer (keep it stable: scripts and acceptance checks use it).
 *   npm run --silent camt -- write [--version 08|02] [--message-id ID] [--created-at DATE-TIME] < statements.json > out.xml
 * Reads the JSON of `cfonb write` (README "CFONB120 command line"); optional extras: top-level
 * `messageId`, `createdAt`, and per statement `id`, `electronicSequenceNumber`, `servicerBic`,
 * `ownerName`. No clock is read: without them, MsgId is "RLV-" + 24 hex digits of the SHA-256 of the
 * parsed input, each Stmt/Id that MsgId + "-" + its position, and CreDtTm the last closing date at 23:59:59,
 * so that the same JSON always gives the same bytes. Bad input exits 1 with the path of the field.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CamtError, renderCamt053, type CamtMessageInput, type CamtVersion } from '../domain/camt053';

// The statement part is `cfonb write`'s schema (scripts/cfonb.ts), with the camt extras.
const decimal = z.string().regex(/^[+-]?\d+(\.\d+)?$/, 'doit être un nombre décimal en texte, par exemple "-42.10"');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'doit être une date AAAA-MM-JJ');
const schema = z.object({
  messageId: z.string().optional(),
  createdAt: z.string().optional(),
  statements: z
    .array(
      z.object({
        id: z.string().optional(),
        electronicSequenceNumber: z.union([z.number(), z.string()]).optional(),
        servicerBic: z.string().optional(),
        ownerName: z.string().optional(),
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
    )
    .min(1, 'au moins un relevé'),
});
type Input = z.infer<typeof schema>;

const USAGE =
  'usage: camt write [--version 08|02] [--message-id ID] [--created-at YYYY-MM-DDThh:mm:ss[Z|±hh:mm]] < statements.json\n';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function path(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** `--name value` or `--name=value`; undefined when absent. */
function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1] ?? '';
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return undefined;
}

/** The message the renderer takes, identifiers defaulted from the content (see the header). */
function toMessage(input: Input, overrides: { messageId?: string; createdAt?: string }) {
  const messageId =
    overrides.messageId ??
    input.messageId ??
    `RLV-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 24).toUpperCase()}`;
  const lastClosing = input.statements.map((s) => s.closing.date).sort()[input.statements.length - 1]!;
  const message: CamtMessageInput = {
    messageId,
    createdAt: overrides.createdAt ?? input.createdAt ?? `${lastClosing}T23:59:59`,
    statements: input.statements.map((s, i) => ({ ...s, id: s.id ?? `${messageId}-${i + 1}` })),
  };
  return message;
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'write') {
    process.stderr.write(USAGE);
    return 2;
  }
  const version = flag(args, 'version') ?? '08';
  if (version !== '08' && version !== '02') {
    process.stderr.write(`--version: "${version}" is not 08 or 02\n${USAGE}`);
    return 2;
  }
  const raw = await readStdin();
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    process.stderr.write(`input: not valid JSON (${(e as Error).message})\n`);
    return 1;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) process.stderr.write(`${path(issue.path) || 'input'}: ${issue.message}\n`);
    return 1;
  }
  const message = toMessage(parsed.data, {
    messageId: flag(args, 'message-id'),
    createdAt: flag(args, 'created-at'),
  });
  process.stdout.write(renderCamt053(message, { version: version as CamtVersion }));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof CamtError ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
