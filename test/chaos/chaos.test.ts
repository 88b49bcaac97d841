/**
 * The crash-and-fault harness in a small size (npm run chaos runs it at fleet size): 5 connections
 * × 3 accounts (2 with statements) over 2 simulated days, 20 % Powens 5xx, 429s and latency, the bank changing and
 * deleting transactions between the days, the real worker and the real API (receiving the
 * sandbox's webhooks) each SIGKILLed once and restarted. From the stored CFONB files read back
 * with the strict reader: nothing lost, nothing delivered twice, balances chained, every change
 * after delivery in a deleted-transactions CSV, each statement e-mailed once.
 */
import { runChaos, type ChaosResult } from '../../bench/chaos';

let result: ChaosResult;

beforeAll(async () => {
  // Fixed days (a leap day, then the month's end): the result does not depend on the day it runs.
  result = await runChaos({
    connections: 5,
    days: 2,
    kills: 2,
    mutationRate: 0.2,
    firstDay: '2024-02-28',
    log: () => undefined,
  });
}, 2_700_000); // a kill during an activity that does not heartbeat costs its 10-min start-to-close

test('the run really had faults, kills, webhooks, deletions and changes to survive', () => {
  expect(result.kills).toBe(2);
  expect(result.details.webhooks).toBeGreaterThan(0);
  expect(result.faults).toBeGreaterThan(0);
  expect(result.details.mutations.deleted + result.details.mutations.changed).toBeGreaterThan(0);
  expect(result.statements).toBe(5 * 2 * 2); // 5 connections × 2 accounts with an IBAN × 2 days
  expect(result.transactions).toBeGreaterThan(0);
});

test('no booked transaction is lost or delivered twice, and every statement chains', () => {
  expect(result.details.examples).toEqual([]);
  expect(result.lost).toBe(0);
  expect(result.doubled).toBe(0);
  expect(result.unchained).toBe(0);
  expect(result.details.stale).toBe(0);
  expect(result.details.unreported).toBe(0);
});

test('each statement e-mail is sent exactly once', () => {
  expect(result.details.emailsMissing).toBe(0);
  expect(result.details.emailsDuplicated).toBe(0);
});
