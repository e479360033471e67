// Progress for long runs: a redrawn bar with ETA on a terminal, one plain line per sample otherwise (CI logs,
// pipes), nothing with --quiet. Always on stderr, so stdout stays machine-readable.
export interface Progress {
  start(label: string): void;
  done(label: string, ok: boolean, detail?: string): void;
  note(text: string): void;
  finish(): void;
}

const fmtTime = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export function createProgress(total: number, opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const out = opts.stream ?? process.stderr;
  const tty = Boolean(out.isTTY);
  const t0 = Date.now();
  let completed = 0;
  let failed = 0;
  let current = '';
  const bar = () => {
    const width = 24;
    const filled = Math.round((completed / Math.max(total, 1)) * width);
    const elapsed = Date.now() - t0;
    const eta = completed > 0 ? fmtTime((elapsed / completed) * (total - completed)) : '?';
    const fails = failed ? ` ${failed} failed` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${completed}/${total}${fails} ${fmtTime(elapsed)} eta ${eta}  ${current}`;
  };
  const redraw = () => {
    if (opts.quiet || !tty) return;
    out.write(`\r\x1b[2K${bar().slice(0, (out.columns ?? 100) - 1)}`);
  };
  return {
    start(label) {
      current = label;
      redraw();
    },
    done(label, ok, detail) {
      completed++;
      if (!ok) failed++;
      if (opts.quiet) return;
      if (tty) {
        if (!ok) out.write(`\r\x1b[2K  failed: ${label}: ${detail ?? ''}\n`);
        redraw();
      } else {
        out.write(`[${completed}/${total}] ${label} ${ok ? 'ok' : 'FAILED'}${detail ? ` ${detail}` : ''}\n`);
      }
    },
    note(text) {
      if (opts.quiet) return;
      out.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
      redraw();
    },
    finish() {
      if (!opts.quiet && tty) out.write(`\r\x1b[2K`);
    },
  };
}
