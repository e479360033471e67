// A process's RSS can drop by megabytes at one reading while it holds more entries than at the last, or grow by
// megabytes less than its usual step: the allocator or V8 handing pages back to the OS at a moment of its own
// choosing. That is memory the process stops using, not a property of the entries, and one such release in a
// trial turns its slope negative or unresolved. So a step far below the trial's usual one is taken out of the
// line (the readings after it are raised by the shortfall) and reported beside the slope; growth is never
// touched.
import type { Release } from '../results/schema.ts';

export interface Point { n: number; trial: number; v: number }

/** A drop counts when it is this many robust standard deviations (1.4826 × MAD) below the median step... */
const ROBUST_SDS = 8;
/** ...and at least this large: page-sized jitter is noise the fit handles. */
const MIN_DROP_BYTES = 1024 * 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The points with each trial's one-off releases taken out, and the releases. Needs 4 readings in a trial: the
 * median of three steps still stands when one of them is the drop.
 */
export function withoutReleases(points: readonly Point[]): { points: Point[]; releases: Release[] } {
  const out: Point[] = [];
  const releases: Release[] = [];
  for (const trial of new Set(points.map((p) => p.trial))) {
    const own = points.filter((p) => p.trial === trial).sort((a, b) => a.n - b.n);
    if (own.length < 4) {
      out.push(...own);
      continue;
    }
    const diffs = own.slice(1).map((p, i) => p.v - own[i].v);
    const step = median(diffs);
    const spread = 1.4826 * median(diffs.map((d) => Math.abs(d - step)));
    const limit = Math.max(ROBUST_SDS * spread, MIN_DROP_BYTES);
    let lift = 0;
    out.push(own[0]);
    diffs.forEach((d, i) => {
      // A step that falls short of the usual one by more than the limit gave memory back, whether or not the
      // entries' growth kept RSS above the last reading; unless the next step makes it up (a dip, not a release).
      const madeUp = i + 1 < diffs.length && diffs[i + 1] - step > limit;
      if (step - d > limit && !madeUp) {
        lift += step - d;
        releases.push({ trial, n: own[i + 1].n, bytes: step - d });
      }
      out.push({ ...own[i + 1], v: own[i + 1].v + lift });
    });
  }
  return { points: out, releases };
}
