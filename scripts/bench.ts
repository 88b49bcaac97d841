/**
 * `npm run bench [-- name]`: runs one benchmark or all of them, prints their figures and ends each
 * with one JSON line. Benchmarks are never timed tests.
 */
import { benchApi } from '../bench/api';
import { benchCfonb } from '../bench/cfonb';

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  cfonb: () => benchCfonb(),
  api: () => benchApi(),
};

async function main() {
  const name = process.argv[2];
  const names = name ? [name] : Object.keys(BENCHES);
  for (const n of names) {
    const run = BENCHES[n];
    if (!run) {
      console.error(`unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exit(2);
    }
    console.log(JSON.stringify(await run()));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
