/**
 * Deterministic randomness for the sandbox: every value derives from the sandbox seed and a label
 * (e.g. "tx:3001:2026-11-20"), so the same seed and the same operations give the same data.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Rng {
  /** [0, 1) */
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight (`w` field). */
  weighted<T extends { w: number }>(items: readonly T[]): T;
}

/** sfc32 seeded with the SHA-256 of `seed|label`. */
export function rng(seed: string, label: string): Rng {
  const h = createHash('sha256').update(`${seed}|${label}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const r: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: (items) => {
      const total = items.reduce((s, i) => s + i.w, 0);
      let x = next() * total;
      for (const i of items) {
        x -= i.w;
        if (x < 0) return i;
      }
      return items[items.length - 1]!;
    },
  };
  return r;
}

/** An unguessable but deterministic secret (tokens, codes, session ids). */
export function secretFor(seed: string, label: string, bytes = 32): string {
  return createHmac('sha256', `powens-sandbox:${seed}`).update(label).digest().subarray(0, bytes).toString('base64url');
}

/** A deterministic RFC 4122-shaped UUID. */
export function uuidFor(seed: string, label: string): string {
  const h = createHash('sha256').update(`${seed}|uuid|${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
