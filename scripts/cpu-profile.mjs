#!/usr/bin/env node
/**
 * Sums a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF=<dir> for the benchmarks' workers):
 * self time by package and by function, and inclusive time of this repository's own functions.
 *
 *   node scripts/cpu-profile.mjs <file.cpuprofile> [--top 30]
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node scripts/cpu-profile.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}
const topIndex = args.indexOf('--top');
const TOP = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  self.set(id, (self.get(id) ?? 0) + dt);
});

const ours = (url) => url.includes(ROOT) && !url.includes('node_modules');
function where(url) {
  if (!url) return '(native / idle)';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const local = url.indexOf(ROOT);
  return local >= 0 ? url.slice(local + ROOT.length + 1) : url;
}
const label = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf.url)}:${cf.lineNumber + 1}`;

const byPackage = new Map();
const byFunction = new Map();
const inclusive = new Map();
const add = (m, k, t) => m.set(k, (m.get(k) ?? 0) + t);
for (const [id, t] of self) {
  const cf = nodes.get(id).callFrame;
  add(byPackage, where(cf.url), t);
  add(byFunction, label(cf), t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const f = nodes.get(cur).callFrame;
    if (!ours(f.url)) continue;
    const k = label(f);
    if (seen.has(k)) continue;
    seen.add(k);
    add(inclusive, k, t);
  }
}

const print = (title, m) => {
  console.log(`--- ${title}`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`${(t / 1000).toFixed(0).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package', byPackage);
print('self time by function', byFunction);
print("this repository's functions, inclusive", inclusive);
