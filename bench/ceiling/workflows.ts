/**
 * The ceiling of the nightly-cycle benchmark: the same shape as a bank connection (one activity to
 * load its settings, publish its next collection, sleep until woken) but every activity does
 * nothing. Woken by `go`, it runs `activities` no-op activities one after the other, then
 * `localActivities` local ones (as ours runs its statements), and ends.
 */
import {
  condition,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { NextCollectionAt } from '../../workflows/search-attributes';
import type { CeilingActivities } from './activities';

export const goSignal = defineSignal<[]>('go');

const { nothing } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<CeilingActivities>({ startToCloseTimeout: '1 minute' });

export async function ceilingWorkflow(input: { activities: number; localActivities?: number }): Promise<void> {
  let woken = false;
  setHandler(goSignal, () => void (woken = true));
  await nothing();
  upsertSearchAttributes([{ key: NextCollectionAt, value: new Date(Date.now() + 86_400_000) }]);
  await condition(() => woken);
  for (let i = 0; i < input.activities; i++) await nothing();
  for (let i = 0; i < (input.localActivities ?? 0); i++) await local.nothing();
}
