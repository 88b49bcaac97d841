/**
 * Connection states as Powens documents them (`connection.state`, null after a successful sync;
 * ../shared/docs/powens.md "ConnectionState values"), the sandbox's own list: not our client's
 * classification, which the sandbox must be able to contradict.
 */

/** The states in which Powens waits for the user (credentials, SCA, the bank's app…): no background sync. */
export const USER_ACTION_STATES = [
  'wrongpass',
  'passwordExpired',
  'additionalInformationNeeded',
  'actionNeeded',
  'SCARequired',
  'webauthRequired',
  'decoupled',
] as const;

/** The states Powens recovers from by itself, retrying later. */
export const TRANSIENT_STATES = ['websiteUnavailable', 'rateLimiting', 'bug'] as const;

/** The states the sandbox can put a connection into (everything but the in-progress `validating`). */
export const SIMULABLE_STATES = [...USER_ACTION_STATES, ...TRANSIENT_STATES] as const;

const KNOWN = new Set<string>([...SIMULABLE_STATES, 'validating']);

export function isKnownState(state: string): boolean {
  return KNOWN.has(state);
}

/** Whether Powens suspends the connection's syncs until its user acts. */
export function waitsForUser(state: string | null | undefined): boolean {
  return (USER_ACTION_STATES as readonly string[]).includes(state ?? '');
}
