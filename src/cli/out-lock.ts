// One run at a time per output directory: two runs writing one --out would each replace the other's files, and
// one run's results would be lost without a word. The lock is a file holding the owner's PID, created exclusively;
// a lock whose process is gone (kill -9, a crash) is stale and taken over.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive as alive, onHarnessExit } from '../util/processes.ts';
import { UsageError } from './errors.ts';

export const LOCK_FILE = '.kcb-lock';

function take(lock: string): boolean {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Takes `out`'s lock (creating `out`), or refuses with a UsageError naming the run that holds it. Returns the
 * release, which also runs at exit; an `out` this call created is removed again if nothing was written to it.
 */
export function lockOutDir(out: string, flag = '--out'): () => void {
  const created = mkdirSync(out, { recursive: true }) !== undefined;
  const lock = join(out, LOCK_FILE);
  for (let attempt = 0; !take(lock); attempt++) {
    const read = () => {
      try {
        return readFileSync(lock, 'utf8');
      } catch {
        return ''; // removed meanwhile: try again
      }
    };
    const text = read();
    const owner = Number.parseInt(text, 10);
    if (attempt < 2 && !(Number.isInteger(owner) && owner > 0 && alive(owner))) {
      // stale; removed only if no other run took it over in the meantime
      if (read() === text) rmSync(lock, { force: true });
      continue;
    }
    throw new UsageError(`${flag} ${out} is in use by another run (PID ${Number.isInteger(owner) ? owner : 'unknown'}); wait for it to end or choose another ${flag}`);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    removeHook();
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
      if (created && readdirSync(out).length === 0) rmdirSync(out);
    } catch {
      /* already gone */
    }
  };
  const removeHook = onHarnessExit(release);
  return release;
}
