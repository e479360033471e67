// The plan: which worker runs the campaign starts, in the order it starts them. Trials are the outer loop, so an
// interrupted run still has whole sweeps of every design. With the incremental protocol one worker per (design,
// trial) is read at every size as it grows; with the fresh protocol every (design, size, trial) gets a worker of
// its own, sizes shuffled (seeded) within a trial so slow drift of the machine does not line up with n.
import { mulberry32 } from '../stats/bootstrap.ts';

import type { Protocol } from '../results/schema.ts';

export type { Protocol };

export interface PlannedRun {
  design: string;
  trial: number;
  /** sizes read by this worker, ascending */
  ladder: number[];
}

/** `steps` evenly spaced sizes from 0 to max inclusive, deduplicated (small max gives fewer). */
export function sweepSizes(max: number, steps: number): number[] {
  const sizes = Array.from({ length: steps }, (_, i) => Math.round((max * i) / (steps - 1)));
  return [...new Set(sizes)];
}

/** The runs of one trial of one design. */
export function trialRuns(design: string, sizes: number[], trial: number, protocol: Protocol, seed: number): PlannedRun[] {
  const sorted = [...sizes].sort((a, b) => a - b);
  if (protocol === 'incremental') return [{ design, trial, ladder: sorted }];
  const rand = mulberry32(seed * 7919 + trial * 104729 + [...design].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
  }
  return sorted.map((n) => ({ design, trial, ladder: [n] }));
}

/** Entries a run builds: what its time is proportional to (the ETA learns the cost per entry). */
export const runEntries = (r: PlannedRun, warmup: number) => warmup + Math.max(0, ...r.ladder);
