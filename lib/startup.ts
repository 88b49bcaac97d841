/**
 * How a process that cannot start says so: one line per reason on stderr, naming the variable
 * when the configuration is refused (no stack trace for an operator's mistake), then exit code 1.
 */
import { ConfigError } from './config';
import { TemporalTlsError } from './temporal-connection';

export function startupFailureLines(err: unknown): string[] {
  if (err instanceof ConfigError)
    return err.issues.map((i) => `Configuration refused: ${i.variable} ${i.reason} (see .env.example)`);
  if (err instanceof TemporalTlsError) return [`Configuration refused: ${err.message}`];
  if (err instanceof Error) return [err.stack ?? err.message];
  return [String(err)];
}

export function exitOnStartupFailure(component: string): (err: unknown) => never {
  return (err) => {
    for (const line of startupFailureLines(err)) process.stderr.write(`${component}: ${line}\n`);
    process.exit(1);
  };
}
