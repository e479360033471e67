// The one check of an output directory, for every command that writes: it exists as a directory we can create
// files in, or it can be created; and it is not somebody else's directory whose files the run would overwrite (an
// empty --out, from an unset shell variable, is the repository's root under npm). Writability is found out by
// creating (and removing) an empty temp dir: access(W_OK) says yes to root for a 0500 dir and for /proc, and
// Node's recursive mkdir loops forever under /proc.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** Written into every directory a run writes to: the harness's own mark, so a later run may write there again. */
export const OUT_MARKER = '.keystone-cache-bench';
/** A directory holding one of these is a project's, never a results directory. */
const PROJECT_FILES = ['package.json', '.git'];
/** What a run writes besides its results JSON: names common enough that a user's own file may carry them. */
const REPORT_FILES = ['README.md', 'index.html', 'summary.md', 'samples.csv', 'charts'];
/** How every results JSON the harness writes begins (JSON.stringify with 2 spaces): the mark of older dirs. */
const RESULTS_HEAD = /^\{\s*"schema":\s*\d+,\s*"meta":\s*\{\s*"tool":\s*"keystone-cache-bench"/;
/** keystone-load's results file (src/keystone-load/schema.ts) */
const KEYSTONE_LOAD_HEAD = /^\{\s*"meta":\s*\{\s*"schema":\s*"kcb-keystone-load\//;

function canWriteIn(dir: string): boolean {
  try {
    rmdirSync(mkdtempSync(join(dir, '.kcb-probe-')));
    return true;
  } catch {
    return false;
  }
}

function head(file: string, bytes = 256): string {
  let fd: number | undefined;
  try {
    if (!statSync(file).isFile()) return '';
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The harness wrote here before: its marker, or a results JSON of its own. */
function markedAsOurs(dir: string, names: string[]): boolean {
  return names.includes(OUT_MARKER) || names.some((n) => n.endsWith('.json') && [RESULTS_HEAD, KEYSTONE_LOAD_HEAD].some((re) => re.test(head(join(dir, n)))));
}

/** The absolute path of `raw`, or a UsageError saying why nothing can be written there. */
export function checkOutDir(raw: string, flag = '--out'): string {
  if (!raw.trim()) throw new UsageError(`${flag} is empty (an unset shell variable?): name the directory the results go to`);
  const out = resolve(raw);
  if (out === '/proc' || out.startsWith('/proc/') || out === '/sys' || out.startsWith('/sys/')) {
    throw new UsageError(`${flag} ${raw} is inside a kernel file system; choose a normal directory`);
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UsageError(`${flag} ${raw} is a file, not a directory`);
    if (!canWriteIn(out)) throw new UsageError(`${flag} ${raw} is not writable`);
    const names = readdirSync(out);
    const project = PROJECT_FILES.find((n) => names.includes(n));
    if (project) throw new UsageError(`${flag} ${raw} holds ${project}: it is a project's directory, not a results directory; choose one of its own (e.g. results/)`);
    const theirs = REPORT_FILES.find((n) => names.includes(n));
    if (theirs && !markedAsOurs(out, names)) {
      throw new UsageError(`${flag} ${raw} holds a ${theirs} that keystone-cache-bench did not write; choose an empty or new directory`);
    }
    return out;
  }
  let parent = dirname(out);
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory() || !canWriteIn(parent)) {
    throw new UsageError(`${flag} ${raw} cannot be created (${parent} is not a writable directory)`);
  }
  return out;
}

/** Marks `out` as the harness's, before the first report file is written there. */
export function markOutDir(out: string): void {
  writeFileSync(join(out, OUT_MARKER), 'Written by keystone-cache-bench: its runs may replace the files here.\n');
}
