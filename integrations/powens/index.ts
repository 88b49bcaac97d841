/** The Powens client and its helpers (see docs/powens.md). */
export * from './client';
export * from './collect-window';
export * from './errors';
export type { CallOptions, PowensLogger, RetryOptions } from './http';
export * from './schemas';
export * from './time';
export * from './tokens';
export type { ListTransactionsOptions, PowensTransactionList } from './transactions';
export * from './webhook-signature';
export {
  parseWebviewCallback,
  webviewCallbackSchema,
  type ConnectWebviewOptions,
  type ManageWebviewOptions,
  type ReconnectWebviewOptions,
  type WebviewCallback,
} from './webview';
