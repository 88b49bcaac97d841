/**
 * Request ids across Temporal. The API's client sends the id of the HTTP request that causes a
 * Temporal call (lib/request-context.ts) as the header `releves-request-id` of that call: workflow
 * starts, signals, signal-with-start, updates and queries. Temporal keeps a start's, a signal's and
 * an update's headers in the workflow history (visible on the event in Temporal Web), and the
 * worker's workflow interceptor (worker/workflow-interceptors.ts) logs it beside the workflow id
 * when the message arrives.
 */
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { currentRequestId } from './request-context';

export const REQUEST_ID_TEMPORAL_HEADER = 'releves-request-id';

function withRequestId(headers: Headers): Headers {
  const requestId = currentRequestId();
  if (requestId === undefined || headers[REQUEST_ID_TEMPORAL_HEADER]) return headers;
  return { ...headers, [REQUEST_ID_TEMPORAL_HEADER]: defaultPayloadConverter.toPayload(requestId) };
}

/** The client's workflow interceptor: `new Client({ interceptors: { workflow: [requestIdClientInterceptor()] } })`. */
export function requestIdClientInterceptor(): WorkflowClientInterceptor {
  return {
    startWithDetails: (input, next) => next({ ...input, headers: withRequestId(input.headers) }),
    signal: (input, next) => next({ ...input, headers: withRequestId(input.headers) }),
    signalWithStart: (input, next) => next({ ...input, headers: withRequestId(input.headers) }),
    startUpdate: (input, next) => next({ ...input, headers: withRequestId(input.headers) }),
    startUpdateWithStart: (input, next) =>
      next({
        ...input,
        workflowStartHeaders: withRequestId(input.workflowStartHeaders),
        updateHeaders: withRequestId(input.updateHeaders),
      }),
    query: (input, next) => next({ ...input, headers: withRequestId(input.headers) }),
  };
}
