// Seeded randomness: generated UUIDs, jitter and the interleaving of concurrent channels all come from here,
// so a given seed reproduces the same run (up to the timing of the client's own commands).

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: small, fast, good enough for test variation. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = ((this.int(0, 15) & 3) | 8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** Merge several ordered lists into one, keeping each list's own order; which list goes next is random. */
  interleave<T>(lists: readonly (readonly T[])[]): T[] {
    const idx = lists.map(() => 0);
    const out: T[] = [];
    for (;;) {
      const open = lists.map((l, i) => (idx[i]! < l.length ? i : -1)).filter((i) => i >= 0);
      if (!open.length) return out;
      const pick = open[this.int(0, open.length - 1)]!;
      out.push(lists[pick]![idx[pick]!]!);
      idx[pick]!++;
    }
  }
}
