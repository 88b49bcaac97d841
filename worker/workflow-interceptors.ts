/**
 * Workflow interceptor module (bundled with the workflows: deterministic, no I/O). When a workflow
 * starts, or receives a signal or an update, whose caller sent a request id (header
 * `releves-request-id`, lib/temporal-interceptors.ts), it logs the id beside the workflow id, run
 * id and message name through the workflow logger (not repeated on replay). The activities the
 * message leads to are not tagged: the connection workflow queues every message and its main loop
 * runs them in turn, so no activity belongs to one request alone.
 */
import {
  log,
  type Next,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';

const HEADER = 'releves-request-id';

function requestIdOf(headers: Headers): string | undefined {
  const payload = headers[HEADER];
  if (!payload) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload<unknown>(payload);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

class RequestIdLogInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('workflow started by a request', { requestId });
    return next(input);
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('signal received', { requestId, signal: input.signalName });
    return next(input);
  }

  async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('update received', { requestId, update: input.name, updateId: input.updateId });
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RequestIdLogInterceptor()] });
