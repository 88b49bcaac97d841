/**
 * The worker's sticky workflow cache, sized from a memory budget (WORKER_MEMORY_BUDGET_MB) rather
 * than a count: a cached connection workflow keeps its V8 state in the worker, so the cache is what
 * grows the worker's memory with the fleet. Evicted workflows cost nothing until their next wake,
 * when Temporal replays their (short, continue-as-new bounded) history.
 *
 * The two figures come from `npm run bench -- idle` (compiled worker, prebuilt bundle, 5 000
 * sleeping workflows, 2026-12-04): RSS 383 MB with 200 cached, 903 MB with 2 000, i.e. about
 * 296 KB per cached workflow (the SDK's own per-workflow state: each one instantiates the bundle's
 * modules in the shared V8 context) over a base of 325 MB; rounded up here. See bench/RESULTS.md.
 */
export const WORKER_BASE_RSS_MB = 330;
export const CACHED_WORKFLOW_KB = 300;
/** Below this the worker replays too often for its own good; Temporal requires at least 2. */
const MIN_CACHE = 50;

/** How many workflows the worker may keep cached within `budgetMb` of RSS. */
export function stickyCacheSize(budgetMb: number): number {
  return Math.max(MIN_CACHE, Math.floor(((budgetMb - WORKER_BASE_RSS_MB) * 1024) / CACHED_WORKFLOW_KB));
}
