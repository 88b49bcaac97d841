/**
 * What the API needs from Powens: webview URLs for a direct connection (the caller enters the
 * credentials itself). Provided by the Powens client (activities/powens/) through AppDeps.powens;
 * without it, /connect and /reconnect answer 503.
 */
export interface PowensWebviews {
  /** Webview to add a connection for the company (creates its permanent Powens user if needed). */
  connectUrl(input: { companyId: string; redirectUri: string }): Promise<string>;
  /** Webview to re-enter the credentials of an existing connection. */
  reconnectUrl(input: {
    companyId: string;
    connectionId: string;
    powensConnectionId: number;
    redirectUri: string;
  }): Promise<string>;
}
