// Which queued run starts next (src/measure/schedule.ts): first trials first, in order; then the design with the
// most work left, so the slowest design's trials do not end up running alone at the end.
import { describe, expect, it } from 'vitest';
import { expectedRunMs, pickNext, type RunTiming } from '../src/measure/schedule.ts';

const q = (...runs: Array<[string, number]>) => runs.map(([design, trial]) => ({ design, trial }));
const all = () => true;

describe('pickNext', () => {
  it('takes every first trial before anything else, in queue order', () => {
    const queue = q(['fast', 2], ['slow', 1], ['fast', 3], ['other', 1]);
    const timing = new Map<string, RunTiming>([['fast', { finished: [100_000], running: [] }]]);
    expect(pickNext(queue, all, timing, 0)).toBe(1);
    expect(pickNext(queue, (j) => j.design !== 'slow', timing, 0)).toBe(3);
  });

  it('then the design with the most expected work queued, measured or still running', () => {
    // two slow trials left (each at least 150 s: one has been running that long) against two fast ones of 70 s
    const queue = q(['fast', 2], ['slow', 2], ['fast', 3], ['slow', 3]);
    const timing = new Map<string, RunTiming>([
      ['fast', { finished: [70_000], running: [] }],
      ['slow', { finished: [], running: [10_000] }],
    ]);
    expect(pickNext(queue, all, timing, 160_000)).toBe(1);
    // once the slow design has one trial left and the fast two, the fast one has more work left
    const later = q(['fast', 2], ['fast', 3], ['slow', 3]);
    const t2 = new Map<string, RunTiming>([['fast', { finished: [70_000], running: [] }], ['slow', { finished: [110_000], running: [] }]]);
    expect(pickNext(later, all, t2, 0)).toBe(0);
  });

  it('puts snapshot runs (trial 0) after trials, and says -1 when nothing may start', () => {
    const queue = q(['a', 0], ['b', 2]);
    expect(pickNext(queue, all, new Map([['b', { finished: [1], running: [] }]]), 0)).toBe(1);
    expect(pickNext(queue, () => false, new Map(), 0)).toBe(-1);
  });

  it('expects a run to last as long as the mean of the finished ones, or as the one in flight so far', () => {
    expect(expectedRunMs({ finished: [10, 30], running: [0] }, 1000)).toBe(20);
    expect(expectedRunMs({ finished: [], running: [400, 100] }, 1000)).toBe(901);
    expect(expectedRunMs(undefined, 1000)).toBe(0);
  });
});
