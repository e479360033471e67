// A closed loop: `concurrency` lanes each run the operation again as soon as the previous one answers, until a
// deadline or a count of operations is reached. Records each operation's latency and each error's first line.
import type { Operation } from './operations.ts';

export interface Driven {
  ok: number;
  errors: number;
  firstError?: string;
  latenciesMs: number[];
  /** from the first start to the last answer, ms */
  spanMs: number;
}

export async function drive(op: Operation, opts: { concurrency: number; until?: number; count?: number; offset?: number }): Promise<Driven> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const t0 = performance.now();
  let last = t0;
  const more = () => (opts.count === undefined || started < opts.count) && (opts.until === undefined || performance.now() < opts.until);
  const lane = async () => {
    while (more()) {
      const i = (opts.offset ?? 0) + started++;
      const s = performance.now();
      try {
        await op(i);
        ok++;
        latenciesMs.push(performance.now() - s);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message.split('\n')[0];
      }
      last = performance.now();
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  return { ok, errors, ...(firstError ? { firstError } : {}), latenciesMs, spanMs: last - t0 };
}
