/**
 * Where the tests find the files they read, in one place:
 *
 * - `fixture(...)`: what the project made or keeps itself, in the repository under test/fixtures/
 *   (workflow histories, test workflows and scripts, the ISO 20022 schemas);
 * - `cfonbSample(name)`: the third-party CFONB120 sample files, which stay outside the repository
 *   in `../shared/cfonb-samples/` beside the clone (their licences are their authors'; SOURCES.md
 *   there says where each comes from), or in the folder named by `CFONB_SAMPLES_DIR`.
 *
 * A missing file fails the test that reads it with a message naming the path looked at.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

/** test/fixtures/ in the repository. */
export const FIXTURES = join(root, 'test', 'fixtures');

/** The path of a file (or folder) under test/fixtures/; throws when it is missing. */
export function fixture(...parts: string[]): string {
  const path = join(FIXTURES, ...parts);
  if (!existsSync(path)) throw new Error(`test fixture missing: ${path}`);
  return path;
}

/** The folder of the third-party CFONB120 samples (outside the repository). */
export function cfonbSamplesDir(): string {
  return resolve(process.env.CFONB_SAMPLES_DIR || join(root, '..', 'shared', 'cfonb-samples'));
}

/** The bytes of a third-party CFONB120 sample; throws, naming the path, when it is not there. */
export function cfonbSample(name: string): Buffer {
  const path = join(cfonbSamplesDir(), name);
  if (!existsSync(path))
    throw new Error(
      `CFONB sample missing: ${path} (third-party files kept outside the repository: ` +
        `put the cfonb-samples folder at ${cfonbSamplesDir()} or set CFONB_SAMPLES_DIR)`,
    );
  return readFileSync(path);
}
