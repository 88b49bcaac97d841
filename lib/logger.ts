import pino, { type Logger } from 'pino';
import { currentRequestId } from './request-context';

export type { Logger };

/**
 * JSON logs (pino); `component` tells the process (api, worker, start…). A line written while an
 * HTTP request is handled carries that request's `requestId` (lib/request-context.ts), whichever
 * logger of the process writes it; a child logger that already binds `requestId` is left as is.
 */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: component,
    level,
    base: { component },
    mixin(_object, _level, logger) {
      const requestId = currentRequestId();
      if (requestId === undefined || hasRequestId(logger)) return {};
      return { requestId };
    },
  });
}

/** Per-request child logger: binds the request id explicitly (the mixin then adds nothing). */
export function requestLogger(logger: Logger, requestId: string): Logger {
  return logger.child({ requestId });
}

const BOUND = Symbol('releves.requestIdBound');

function hasRequestId(logger: Logger): boolean {
  const cached = (logger as unknown as Record<symbol, boolean | undefined>)[BOUND];
  if (cached !== undefined) return cached;
  const bound = 'requestId' in logger.bindings();
  (logger as unknown as Record<symbol, boolean>)[BOUND] = bound;
  return bound;
}
