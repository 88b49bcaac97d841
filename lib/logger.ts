import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs (pino); `component` tells the process (api, worker, start…). */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: component, level, base: { component } });
}
