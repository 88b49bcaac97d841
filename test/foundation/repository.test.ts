/**
 * What a fresh clone gets must not depend on this machine: nothing generated or installed is
 * tracked (a worktree's node_modules symlink was committed twice by accident, which made fresh
 * clones use another checkout's packages).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

test('no installed, generated or local-data path is tracked', () => {
  const tracked = execFileSync('git', ['ls-files', '-s'], { cwd: root, encoding: 'utf8' }).split('\n');
  const offending = tracked
    .map((line) => line.split('\t')[1] ?? '')
    .filter((path) => /^(node_modules|\.data|prisma\/generated|dist|coverage|test\/artifacts)(\/|$)/.test(path));
  expect(offending).toEqual([]);
});

test('no symbolic link is tracked', () => {
  const tracked = execFileSync('git', ['ls-files', '-s'], { cwd: root, encoding: 'utf8' }).split('\n');
  // Mode 120000 is a symbolic link: it would point into one machine's file system.
  expect(tracked.filter((line) => line.startsWith('120000 '))).toEqual([]);
});
