/**
 * The e-mails the API causes (links to companies): rendered by the e-mail module
 * (email/) and written to the outbox in the caller's transaction.
 */
import type { LinkKind } from '../db/client';
import {
  renderAddAccountsLink,
  renderConnectionRequest,
  renderUpdateCredentialsLink,
  type RenderedEmail,
} from '../email';

export { enqueueEmail } from '../email';
export type OutboxEmail = RenderedEmail;

export function renderLinkEmail(input: {
  kind: LinkKind;
  firm: { name: string; email: string; phone: string | null };
  company: { name: string; siren: string; nic?: string | null };
  /** `accounts`: lines as shown ("COMPTE CHÈQUE (CONNECTEUR DE TEST)"); `state`: Powens state. */
  connection: { accounts: string[]; errorMessage: string | null; state?: string | null } | null;
  /** ADD_ACCOUNTS for a bank of the referential: the INGENEO-style connection request. */
  bank?: { name: string } | null;
  requestedBy?: string | null;
  url: string;
  expiresAt: Date;
}): Omit<RenderedEmail, 'to'> {
  const common = { to: '', firm: input.firm, company: input.company, url: input.url, expiresAt: input.expiresAt };
  const { to: _to, ...rendered } =
    input.kind === 'ADD_ACCOUNTS'
      ? input.bank
        ? renderConnectionRequest({ ...common, bank: input.bank.name, requestedBy: input.requestedBy ?? null })
        : renderAddAccountsLink(common)
      : renderUpdateCredentialsLink({
          ...common,
          accounts: (input.connection?.accounts ?? []).map((label) => ({ label })),
          error: { state: input.connection?.state ?? null, message: input.connection?.errorMessage ?? null },
        });
  return rendered;
}
