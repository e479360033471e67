// Reads a results file for re-rendering. Anything wrong with the file is the user's problem to fix (wrong path,
// truncated copy, file from another version, a value no run can produce), so every failure is a one-line
// UsageError naming the file, raised before anything is drawn, planned or compared.
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { UsageError } from '../util/usage-error.ts';
import { SCHEMA_VERSION, type Results } from './schema.ts';
import { valuesProblem } from './values.ts';

/** Largest results file read: the published ones are 45–170 KB; 1,000 designs' worth would still fit. */
export const MAX_RESULTS_BYTES = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const STATUSES = new Set(['ok', 'partial', 'failed', 'unavailable']);

/** The first thing that makes `v` not a Results, as "where: what", or undefined when the essentials hold. */
export function resultsProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'top level: not an object';
  const meta = v.meta;
  if (!isObj(meta)) return 'meta: missing';
  for (const k of ['node', 'cpu', 'startedAt', 'command']) if (typeof meta[k] !== 'string') return `meta.${k}: not a string`;
  if (!isNum(meta.cpus)) return 'meta.cpus: not a number';
  if (!Array.isArray(meta.sizes) || !meta.sizes.every(isNum)) return 'meta.sizes: not a list of numbers';
  if (!isNum(meta.trials)) return 'meta.trials: not a number';
  if (!isObj(meta.keystone) || !isObj(meta.stores)) return 'meta.keystone/meta.stores: missing';
  if (!isObj(v.reference) || !isNum(v.reference.bytesPerObject) || typeof v.reference.label !== 'string') {
    return 'reference: needs label and bytesPerObject';
  }
  if (!Array.isArray(v.designs)) return 'designs: not a list';
  for (const [i, d] of v.designs.entries()) {
    const at = `designs[${i}]`;
    if (!isObj(d)) return `${at}: not an object`;
    if (typeof d.id !== 'string' || typeof d.title !== 'string') return `${at}: needs id and title`;
    if (!STATUSES.has(d.status as string)) return `${at}.status: ${JSON.stringify(d.status)} is not one of ${[...STATUSES].join('/')}`;
    if (!isNum(d.tokensIssued)) return `${at}.tokensIssued: not a number`;
    if (!Array.isArray(d.samples)) return `${at}.samples: not a list`;
    for (const [j, s] of d.samples.entries()) {
      if (!isObj(s) || !isNum(s.n) || !isNum(s.trial)) return `${at}.samples[${j}]: needs numbers n and trial`;
    }
    if (!Array.isArray(d.failures)) return `${at}.failures: not a list`;
    for (const [j, f] of d.failures.entries()) {
      if (!isObj(f) || !isNum(f.n) || !isNum(f.trial) || typeof f.reason !== 'string') return `${at}.failures[${j}]: needs n, trial and reason`;
    }
    if (!isObj(d.perObject)) return `${at}.perObject: not an object`;
    for (const [m, s] of Object.entries(d.perObject)) {
      // NaN (e.g. R² of a metric that never varied) is written by JSON.stringify as null: accept it as "not defined".
      const numOrNull = (v: unknown) => v === null || isNum(v);
      if (!isObj(s) || !numOrNull(s.bytes) || !numOrNull(s.r2) || !Array.isArray(s.ci95) || s.ci95.length !== 2 || !s.ci95.every(numOrNull)) {
        return `${at}.perObject.${m}: needs bytes, ci95 [lo, hi] and r2`;
      }
    }
  }
  if (v.latency !== undefined) {
    if (!Array.isArray(v.latency)) return 'latency: not a list';
    for (const [i, l] of v.latency.entries()) {
      if (!isObj(l) || typeof l.name !== 'string' || !['meanMs', 'p50Ms', 'p99Ms', 'rme', 'samples'].every((k) => isNum(l[k]))) {
        return `latency[${i}]: needs name, meanMs, p50Ms, p99Ms, rme and samples`;
      }
    }
  }
  return undefined;
}

const KINDS: Array<[number, string]> = [
  [constants.S_IFDIR, 'a directory'], [constants.S_IFCHR, 'a character device'], [constants.S_IFBLK, 'a block device'],
  [constants.S_IFIFO, 'a FIFO'], [constants.S_IFSOCK, 'a socket'],
];

/**
 * The file's text, read only when it is a regular file of at most MAX_RESULTS_BYTES: /dev/zero, a FIFO or a huge
 * file would otherwise be read until memory runs out. Opened non-blocking, so a FIFO without a writer is no wait.
 */
function readBounded(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (run `npm run bench` first, or pass --in)' : (err as Error).message;
    throw new UsageError(`cannot read results file ${path}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = KINDS.find(([bits]) => (st.mode & constants.S_IFMT) === bits)?.[1] ?? 'not a regular file';
      throw new UsageError(`cannot read results file ${path}: is ${kind}, not a regular file`);
    }
    if (st.size > MAX_RESULTS_BYTES) {
      throw new UsageError(`cannot read results file ${path}: ${(st.size / 1024 / 1024).toFixed(1)} MB is more than a results file can be (${MAX_RESULTS_BYTES / 1024 / 1024} MB)`);
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function readResults(path: string): Results {
  const text = readBounded(path);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (isObj(v) && v.schema === 1) upgradeFromV1(v);
  if (isObj(v) && v.schema !== SCHEMA_VERSION) {
    throw new UsageError(`${path} has results schema ${JSON.stringify(v.schema) ?? 'none'}; this version reads schema ${SCHEMA_VERSION} (re-run \`npm run bench\`)`);
  }
  const problem = resultsProblem(v) ?? valuesProblem(v as Results);
  if (problem) throw new UsageError(`${path} is not a keystone-cache-bench results file (${problem.replace(/\s+/g, ' ')})`);
  return restoreNaN(v as Results);
}

/**
 * Schema 1 named the store figures after Redis and kept one Redis entry in meta: rename them in place, so every
 * reader sees one shape. Nothing is recomputed; figures a schema 1 file does not have stay absent.
 */
function upgradeFromV1(v: Obj): void {
  const rename = (o: Obj, from: string, to: string) => {
    if (from in o) {
      o[to] = o[from];
      delete o[from];
    }
  };
  if (isObj(v.meta)) {
    const meta = v.meta;
    if (isObj(meta.redis)) meta.stores = meta.redis.version === 'not used' ? {} : { redis: meta.redis };
    else meta.stores ??= {};
    delete meta.redis;
  }
  for (const d of Array.isArray(v.designs) ? v.designs : []) {
    if (!isObj(d)) continue;
    let usedStore = false;
    for (const s of Array.isArray(d.samples) ? d.samples : []) {
      if (!isObj(s)) continue;
      usedStore ||= 'redisUsedMemory' in s;
      rename(s, 'redisUsedMemory', 'storeUsedMemory');
      rename(s, 'redisRss', 'storeRss');
    }
    if (isObj(d.perObject)) {
      usedStore ||= 'redisUsedMemory' in d.perObject;
      rename(d.perObject, 'redisUsedMemory', 'storeUsedMemory');
      rename(d.perObject, 'redisRss', 'storeRss');
    }
    if (usedStore) d.store = 'redis';
  }
  v.schema = SCHEMA_VERSION;
}

/** JSON has no NaN: the bench's NaN statistics come back as null. Turn them back, so readers see what the bench had. */
function restoreNaN(r: Results): Results {
  const n = (x: number | null) => (x === null ? NaN : x);
  for (const d of r.designs) {
    for (const s of Object.values(d.perObject)) {
      if (!s) continue;
      s.bytes = n(s.bytes);
      s.r2 = n(s.r2);
      s.ci95 = [n(s.ci95[0]), n(s.ci95[1])];
      s.intercept = n(s.intercept ?? null);
    }
  }
  return r;
}
