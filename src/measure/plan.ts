// The plan: every (design, n, trial) sample the run will take, in the order it takes them. Trials are the outer
// loop so an interrupted run still has whole sweeps; within a trial the sizes of each design are shuffled
// (seeded), so slow drift of the machine does not line up with n and bias the slope.
import { mulberry32 } from '../stats/bootstrap.ts';

export interface PlannedSample {
  design: string;
  n: number;
  trial: number;
}

/** `steps` evenly spaced sizes from 0 to max inclusive, deduplicated (small max gives fewer). */
export function sweepSizes(max: number, steps: number): number[] {
  const sizes = Array.from({ length: steps }, (_, i) => Math.round((max * i) / (steps - 1)));
  return [...new Set(sizes)];
}

export function buildPlan(designs: Array<{ id: string; sizes: number[] }>, trials: number, seed: number): PlannedSample[] {
  const rand = mulberry32(seed);
  const plan: PlannedSample[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    for (const d of designs) {
      const sizes = [...d.sizes];
      for (let i = sizes.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [sizes[i], sizes[j]] = [sizes[j], sizes[i]];
      }
      for (const n of sizes) plan.push({ design: d.id, n, trial });
    }
  }
  return plan;
}
