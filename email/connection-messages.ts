/**
 * The `Outbox` (connection-outbox.ts) the connection activities are built with: adapts the
 * connection rows they load (company, portal account, accounts) to this module's renderers.
 */
import { isFirstFailure } from '../domain/connection-health';
import type { Config } from '../lib/config';
import type { Db } from '../db/client';
import {
  LINK_VALIDITY_HOURS,
  enqueueStatementDeliveries,
  enqueueStatementDeliveriesIn,
  renderAccountsConnected,
  renderCredentialsUpdated,
  renderFirmConnectionAlert,
  renderUpdateCredentialsLink,
  type Firm,
  type FirmNoticeInput,
  type Platform,
} from './index';
import type { Outbox } from './connection-outbox';

/** What `loadConnection` returns (connection with company, portal account and accounts). */
export interface ConnectionView {
  id: string;
  companyId: string;
  connectorName?: string | null;
  bank?: { name: string } | null;
  company: {
    name: string;
    siren: string;
    nic?: string | null;
    email: string | null;
    autoLinks?: boolean;
    active?: boolean;
    portalAccount: { name: string; contactEmail: string; contactPhone: string | null };
  };
  accounts: Array<{ label: string; active?: boolean }>;
}

export const platformFromConfig = (config: Config): Platform => ({
  supportEmail: config.SUPPORT_EMAIL,
  supportPhone: config.SUPPORT_PHONE ?? null,
  portalUrl: config.publicBaseUrl,
});

export const firmOf = (a: { name: string; contactEmail: string; contactPhone: string | null }): Firm => ({
  name: a.name,
  email: a.contactEmail,
  phone: a.contactPhone,
});

const bankOf = (c: ConnectionView) => c.bank?.name ?? c.connectorName ?? null;
const activeAccounts = (c: ConnectionView) =>
  c.accounts.filter((a) => a.active !== false).map((a) => ({ label: a.label, bank: bankOf(c) }));
const companyRef = (c: ConnectionView) => ({ name: c.company.name, siren: c.company.siren, nic: c.company.nic });

export function createMessages(config: Config, now: () => Date = () => new Date()): Outbox {
  const platform = platformFromConfig(config);
  const companyUrl = (c: ConnectionView) => `${config.publicBaseUrl}/redevables/${c.companyId}`;
  /** The success notices to the firm (4.1.5, 4.2.2): the company and its active accounts. */
  const firmNotice = (c: ConnectionView): FirmNoticeInput => ({
    to: c.company.portalAccount.contactEmail,
    firm: firmOf(c.company.portalAccount),
    company: companyRef(c),
    accounts: activeAccounts(c),
    companyUrl: companyUrl(c),
    platform,
  });
  return {
    renderCredentialsLink(connection, link, url, failure) {
      const c = connection as ConnectionView;
      return renderUpdateCredentialsLink({
        to: c.company.email ?? '',
        firm: firmOf(c.company.portalAccount),
        company: companyRef(c),
        accounts: activeAccounts(c),
        error: { state: failure.state, message: failure.errorMessage },
        url,
        expiresAt: link.expiresAt,
        platform,
      });
    },
    renderFirmAlert(connection, failure, linkSent, link) {
      const c = connection as ConnectionView;
      return renderFirmConnectionAlert({
        to: c.company.portalAccount.contactEmail,
        firm: firmOf(c.company.portalAccount),
        company: companyRef(c),
        bank: bankOf(c),
        accounts: activeAccounts(c),
        error: { state: failure.state, message: failure.errorMessage },
        link: linkSent
          ? {
              sent: true,
              recipient: link?.recipient ?? c.company.email ?? '',
              expiresAt: link?.expiresAt ?? new Date(now().getTime() + LINK_VALIDITY_HOURS * 3600_000),
            }
          : {
              sent: false,
              reason:
                c.company.active === false
                  ? 'company-inactive'
                  : c.company.autoLinks === false
                    ? 'opted-out'
                    : !c.company.email
                      ? 'no-email'
                      : isFirstFailure(failure.consecutiveErrors)
                        ? 'first-failure'
                        : 'link-still-valid',
            },
        companyUrl: companyUrl(c),
        platform,
      });
    },
    renderCredentialsUpdated: (connection) => renderCredentialsUpdated(firmNotice(connection as ConnectionView)),
    renderAccountsConnected: (connection) => renderAccountsConnected(firmNotice(connection as ConnectionView)),
    enqueueStatementDeliveries(prisma, statementIds) {
      return enqueueStatementDeliveries(prisma as Db, statementIds, platform);
    },
    enqueueStatementDeliveriesIn(sql, statementIds) {
      return enqueueStatementDeliveriesIn(sql, statementIds, platform);
    },
  };
}
