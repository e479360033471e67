// The values of a results file, checked once its shape holds (src/results/read.ts): every figure a reader draws,
// plans or compares with must be finite and possible, or the file is refused naming the field. A hand-edited or
// corrupted file must not become a "recommended" negative size or a chart a million pixels wide.
import type { Results, Slope } from './schema.ts';

/** Largest size per entry, CI bound or snapshot figure a file may carry: 1 TiB. */
export const MAX_BYTES_PER_ENTRY = 2 ** 40;
/** Largest memory reading of one process, store or N: 1 PiB, a billion entries. */
const MAX_READING = 2 ** 50;
const MAX_N = 1e9;
/** Largest latency a file may carry: a day, in ms. */
const MAX_MS = 86_400_000;

type Check = string | undefined;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** null (JSON's NaN) or a finite number in [min, max]. */
function inRange(at: string, v: unknown, min: number, max: number, optional = true): Check {
  if (v === undefined && optional) return undefined;
  if (v === null && optional) return undefined;
  if (!finite(v) || v < min || v > max) return `${at}: ${show(v)} is not possible (needs a number from ${min} to ${max})`;
  return undefined;
}

function slopeProblem(at: string, s: Slope): Check {
  const b = MAX_BYTES_PER_ENTRY;
  const problem = inRange(`${at}.bytes`, s.bytes, -b, b) ?? inRange(`${at}.ci95[0]`, s.ci95[0], -b, b) ?? inRange(`${at}.ci95[1]`, s.ci95[1], -b, b)
    ?? inRange(`${at}.r2`, s.r2, -1e9, 1) ?? inRange(`${at}.intercept`, s.intercept, -MAX_READING, MAX_READING)
    ?? inRange(`${at}.readingSd`, s.readingSd, 0, MAX_READING);
  if (problem) return problem;
  const [lo, hi] = s.ci95 as Array<number | null>;
  if (finite(lo) && finite(hi) && lo > hi) return `${at}.ci95: [${lo}, ${hi}] has its lower bound above its upper bound`;
  for (const [i, t] of (Array.isArray(s.trialSlopes) ? s.trialSlopes : []).entries()) {
    const p = inRange(`${at}.trialSlopes[${i}]`, t, -b, b);
    if (p) return p;
  }
  // resolved means the CI lies above 0 (src/analysis/headline.ts): a file saying otherwise would be drawn and planned with
  if (s.resolution?.resolved === true && !(finite(lo) && lo > 0 && finite(s.bytes) && s.bytes > 0)) {
    return `${at}: marked resolved, but its figure ${show(s.bytes)} with 95 % CI [${show(lo)}, ${show(hi)}] does not lie above 0`;
  }
  return undefined;
}

/** The first impossible value in `r` as "where: what", or undefined when every value is possible. */
export function valuesProblem(r: Results): Check {
  for (const [i, n] of r.meta.sizes.entries()) {
    const p = inRange(`meta.sizes[${i}]`, n, 0, MAX_N, false);
    if (p) return p;
  }
  const p = inRange('reference.bytesPerObject', r.reference.bytesPerObject, Number.MIN_VALUE, MAX_BYTES_PER_ENTRY, false);
  if (p) return p;
  const ids = new Set<string>();
  for (const [i, d] of r.designs.entries()) {
    const at = `designs[${i}]`;
    if (ids.has(d.id)) return `${at}.id: "${d.id}" is listed twice`;
    ids.add(d.id);
    const tokens = inRange(`${at}.tokensIssued`, d.tokensIssued, 0, Number.MAX_SAFE_INTEGER, false);
    if (tokens) return tokens;
    for (const [j, s] of d.samples.entries()) {
      const sat = `${at}.samples[${j}]`;
      const problem = inRange(`${sat}.n`, s.n, 0, MAX_N, false)
        ?? (['rss', 'pidusageRss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'storeRss', 'tracemalloc', 'fds', 'sockets', 'tokens', 'buildMs'] as const)
          .map((k) => inRange(`${sat}.${k}`, s[k], 0, MAX_READING)).find(Boolean)
        // a store the user owns is read as its growth since the sample began: it may be below 0
        ?? inRange(`${sat}.storeUsedMemory`, s.storeUsedMemory, -MAX_READING, MAX_READING);
      if (problem) return problem;
    }
    for (const [m, s] of Object.entries(d.perObject)) {
      const problem = s && slopeProblem(`${at}.perObject.${m}`, s);
      if (problem) return problem;
    }
    if (d.headline) {
      const h = inRange(`${at}.headline.bytes`, d.headline.bytes, Number.MIN_VALUE, MAX_BYTES_PER_ENTRY, false);
      if (h) return `${h} (a size per entry above 0)`;
    }
    if (d.snapshot) {
      const s = d.snapshot;
      const problem = inRange(`${at}.snapshot.retainedPerEntry`, s.retainedPerEntry, 0, MAX_BYTES_PER_ENTRY, false)
        ?? inRange(`${at}.snapshot.n`, s.n, 0, MAX_N, false)
        ?? (Array.isArray(s.breakdown) ? s.breakdown : []).map((row, k) => inRange(`${at}.snapshot.breakdown[${k}].bytesPerEntry`, row?.bytesPerEntry, 0, MAX_BYTES_PER_ENTRY, false)).find(Boolean);
      if (problem) return problem;
    }
    if (d.rssBreakdown) {
      for (const [k, v] of Object.entries(d.rssBreakdown)) {
        const problem = inRange(`${at}.rssBreakdown.${k}`, v, -MAX_BYTES_PER_ENTRY, MAX_BYTES_PER_ENTRY, false);
        if (problem) return problem;
      }
    }
  }
  for (const [i, l] of (r.latency ?? []).entries()) {
    const problem = (['meanMs', 'p50Ms', 'p99Ms'] as const).map((k) => inRange(`latency[${i}].${k}`, l[k], 0, MAX_MS, false)).find(Boolean)
      ?? inRange(`latency[${i}].rme`, l.rme, 0, 1e6, false) ?? inRange(`latency[${i}].samples`, l.samples, 0, Number.MAX_SAFE_INTEGER, false);
    if (problem) return problem;
  }
  return undefined;
}
