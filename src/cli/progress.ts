// Progress for long runs: a bar with an ETA on a terminal, redrawn every second so it moves during a long
// worker, one plain line per worker otherwise (CI logs, pipes), nothing with --quiet. Always on stderr, so
// stdout stays machine-readable. The ETA is learnt from the finished workers: milliseconds per entry built,
// per design (a full client costs more than a token record), applied to the entries still to build.
import type { PlannedRun } from '../measure/runs.ts';

export interface Progress {
  /** what is left to run (called again when adaptive trials shorten the plan) */
  plan(runs: PlannedRun[]): void;
  start(r: PlannedRun): void;
  done(r: PlannedRun, ok: boolean, ms: number, detail?: string): void;
  note(text: string): void;
  finish(): void;
}

const fmtTime = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};
const label = (r: PlannedRun) => `${r.design} ${r.trial ? `trial ${r.trial}` : 'snapshot'} n=${r.ladder.length > 1 ? `0..${r.ladder.at(-1)}` : r.ladder[0]}`;

export function createProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream; entries: (r: PlannedRun) => number; jobs?: number }): Progress {
  const out = opts.stream ?? process.stderr;
  const tty = Boolean(out.isTTY);
  const t0 = Date.now();
  const cost = new Map<string, { ms: number; entries: number }>();
  let pending: PlannedRun[] = [];
  let completed = 0;
  let failed = 0;
  const current = new Map<string, { run: PlannedRun; since: number }>();
  const msPerEntry = (design: string) => {
    const c = cost.get(design);
    if (c && c.entries > 0) return c.ms / c.entries;
    const all = [...cost.values()].reduce((a, b) => ({ ms: a.ms + b.ms, entries: a.entries + b.entries }), { ms: 0, entries: 0 });
    return all.entries > 0 ? all.ms / all.entries : undefined;
  };
  const eta = (): string => {
    let ms = 0;
    for (const r of pending) {
      const per = msPerEntry(r.design);
      if (per === undefined) return '?';
      ms += per * opts.entries(r);
    }
    // workers that run together share the time: the remaining work divided by how many run at once
    for (const c of current.values()) {
      const per = msPerEntry(c.run.design);
      if (per === undefined) return '?';
      ms += Math.max(0, per * opts.entries(c.run) - (Date.now() - c.since));
    }
    return fmtTime(ms / Math.max(1, opts.jobs ?? 1));
  };
  const bar = () => {
    const total = completed + pending.length + current.size;
    const width = 24;
    const filled = Math.round((completed / Math.max(total, 1)) * width);
    const fails = failed ? ` ${failed} failed` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${completed}/${total} workers${fails} ${fmtTime(Date.now() - t0)} eta ${eta()}  ${[...current.values()].map((c) => label(c.run)).join(' · ')}`;
  };
  const redraw = () => {
    if (opts.quiet || !tty) return;
    out.write(`\r\x1b[2K${bar().slice(0, (out.columns ?? 100) - 1)}`);
  };
  const timer = tty && !opts.quiet ? setInterval(redraw, 1000) : undefined;
  timer?.unref();
  const same = (a: PlannedRun, b: PlannedRun) => a.design === b.design && a.trial === b.trial && a.ladder.join() === b.ladder.join();
  return {
    plan(runs) {
      pending = [...runs];
      redraw();
    },
    start(r) {
      const i = pending.findIndex((p) => same(p, r));
      if (i >= 0) pending.splice(i, 1);
      current.set(label(r), { run: r, since: Date.now() });
      redraw();
    },
    done(r, ok, ms, detail) {
      current.delete(label(r));
      completed++;
      if (!ok) failed++;
      const c = cost.get(r.design) ?? { ms: 0, entries: 0 };
      if (ok) cost.set(r.design, { ms: c.ms + ms, entries: c.entries + opts.entries(r) });
      if (opts.quiet) return;
      if (tty) {
        if (!ok) out.write(`\r\x1b[2K  failed: ${label(r)}: ${detail ?? ''}\n`);
        redraw();
      } else {
        out.write(`[${completed}/${completed + pending.length}] ${label(r)} ${ok ? 'ok' : 'FAILED'} ${fmtTime(ms)}${detail ? ` ${detail}` : ''} (eta ${eta()})\n`);
      }
    },
    note(text) {
      if (opts.quiet) return;
      out.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
      redraw();
    },
    finish() {
      if (timer) clearInterval(timer);
      if (!opts.quiet && tty) out.write(`\r\x1b[2K`);
    },
  };
}
