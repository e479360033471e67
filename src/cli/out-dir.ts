// The one check of an output directory, for every command that writes: it exists as a directory we can create
// files in, or it can be created. Found out by creating (and removing) an empty temp dir: access(W_OK) says yes
// to root for a 0500 dir and for /proc, and Node's recursive mkdir loops forever under /proc.
import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

function canWriteIn(dir: string): boolean {
  try {
    rmdirSync(mkdtempSync(join(dir, '.kcb-probe-')));
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `raw`, or a UsageError saying why nothing can be written there. */
export function checkOutDir(raw: string, flag = '--out'): string {
  const out = resolve(raw);
  if (out === '/proc' || out.startsWith('/proc/') || out === '/sys' || out.startsWith('/sys/')) {
    throw new UsageError(`${flag} ${raw} is inside a kernel file system; choose a normal directory`);
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UsageError(`${flag} ${raw} is a file, not a directory`);
    if (!canWriteIn(out)) throw new UsageError(`${flag} ${raw} is not writable`);
    return out;
  }
  let parent = dirname(out);
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory() || !canWriteIn(parent)) {
    throw new UsageError(`${flag} ${raw} cannot be created (${parent} is not a writable directory)`);
  }
  return out;
}
