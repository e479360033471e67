// Which queued worker run starts next when a job slot frees. Every design's first trial goes first, in the order
// given (an interrupted run then has a whole sweep of as many designs as possible); after that, the design with the
// most work still queued goes first (longest-processing-time first, as make -j schedulers do), so a slow design's
// last trial does not start alone at the end while the other slot idles.
export interface RunTiming {
  /** ms of each finished run of the design */
  finished: number[];
  /** start times (ms) of its runs in flight */
  running: number[];
}

export interface Queued {
  design: string;
  /** 0: a heap-snapshot run (short, whatever the design) */
  trial: number;
}

/**
 * The expected ms of one more run: the mean of finished ones, or else longer than the one in flight longest has
 * taken so far (a lower bound, so it wins a tie against a measured mean).
 */
export function expectedRunMs(t: RunTiming | undefined, now: number): number {
  if (!t) return 0;
  if (t.finished.length) return t.finished.reduce((a, b) => a + b, 0) / t.finished.length;
  return t.running.length ? now - Math.min(...t.running) + 1 : 0;
}

/** Index in `queue` of the run to start next among those `eligible`; -1 when none is. */
export function pickNext<J extends Queued>(queue: readonly J[], eligible: (j: J) => boolean, timing: ReadonlyMap<string, RunTiming>, now: number): number {
  const first = queue.findIndex((j) => eligible(j) && j.trial === 1);
  if (first >= 0) return first;
  const work = new Map<string, number>();
  for (const j of queue) if (j.trial > 0) work.set(j.design, (work.get(j.design) ?? 0) + expectedRunMs(timing.get(j.design), now));
  let best = -1;
  let bestWork = -1;
  queue.forEach((j, i) => {
    if (!eligible(j)) return;
    const w = j.trial > 0 ? (work.get(j.design) ?? 0) : 0;
    if (w > bestWork) [best, bestWork] = [i, w];
  });
  return best;
}
