/**
 * What the API needs from Powens: webview URLs (direct connection by the firm, or a company's
 * link) and, for the callback, the connection and accounts the company chose, and their
 * activation. Implemented over the Powens client by api/powens-webviews.ts (api/server.ts passes
 * it through AppDeps.powens); without it, /connect, /reconnect and the link pages answer 503.
 */
import type { PowensBankAccount, PowensConnection } from '../integrations/powens';

export interface PowensWebviews {
  /**
   * Webview to add a connection for the company (creates its permanent Powens user if needed),
   * offering only the accounts that can get a CFONB statement (POWENS_WEBVIEW_ACCOUNT_TYPES), and
   * opened on the bank of the firm's referential when one was chosen (its connector uuid).
   */
  connectUrl(input: { companyId: string; redirectUri: string; state: string; bankId?: string | null }): Promise<string>;
  /** Webview to re-enter the credentials of an existing connection. */
  reconnectUrl(input: {
    companyId: string;
    connectionId: string;
    powensConnectionId: number;
    redirectUri: string;
    state: string;
    /** Ask for the credentials again (wrongpass, passwordExpired). */
    resetCredentials?: boolean;
  }): Promise<string>;
  /** A connection of the company and all its accounts (enabled or not), as Powens has them. */
  readConnection(input: {
    companyId: string;
    powensConnectionId: number;
  }): Promise<{ connection: PowensConnection; accounts: PowensBankAccount[] }>;
  /** Enables the accounts the company chose (Powens keeps new accounts disabled until then). */
  enableAccounts(input: { companyId: string; powensAccountIds: number[] }): Promise<void>;
}
