// What differs between the two runs besides the code under test: a different machine, Node or Keystone can move
// memory figures on its own, so the comparison says so next to the numbers.
import type { Results } from '../results/schema.ts';

export type DifferenceKind = 'machine' | 'node' | 'keystone' | 'setup' | 'commit';

export interface EnvironmentDifference {
  kind: DifferenceKind;
  /** dotted path under meta, e.g. "keystone.kind" */
  field: string;
  old: string;
  new: string;
}

/** A one-line description of a run, for the header of the comparison. */
export interface RunSummary {
  label: string;
  commit: string;
  startedAt: string;
  node: string;
  cpu: string;
  cpus: string;
  hostname: string;
  keystone: string;
}

const FIELDS: Array<[DifferenceKind, string]> = [
  ['machine', 'cpu'], ['machine', 'cpus'], ['machine', 'hostname'], ['machine', 'arch'], ['machine', 'totalMemBytes'],
  ['node', 'node'],
  ['keystone', 'keystone.kind'], ['keystone', 'keystone.version'], ['keystone', 'keystone.catalogServices'],
  ['setup', 'sizes'], ['setup', 'trials'], ['setup', 'workerFlags'], ['setup', 'redis.kind'],
  ['commit', 'commit'],
];

/** meta fields read loosely: older results files may lack some of them, which is "unknown", not an error. */
function metaField(r: Results, path: string): string {
  let v: unknown = r.meta;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (v === undefined || v === null) return 'unknown';
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * The kernel reports total memory a few KB differently between boots of one machine (reserved pages): within
 * 1 % it is the same machine.
 */
export const TOTAL_MEMORY_TOLERANCE = 0.01;

function same(field: string, o: string, n: string): boolean {
  if (o === n) return true;
  if (field !== 'totalMemBytes') return false;
  const a = Number(o);
  const b = Number(n);
  return Number.isFinite(a) && Number.isFinite(b) && a > 0 && Math.abs(a - b) <= TOTAL_MEMORY_TOLERANCE * Math.max(a, b);
}

export function environmentDifferences(old: Results, next: Results): EnvironmentDifference[] {
  return FIELDS.flatMap(([kind, field]) => {
    const o = metaField(old, field);
    const n = metaField(next, field);
    return same(field, o, n) ? [] : [{ kind, field, old: o, new: n }];
  });
}

export function runSummary(r: Results, label: string): RunSummary {
  return {
    label,
    commit: metaField(r, 'commit'),
    startedAt: metaField(r, 'startedAt'),
    node: metaField(r, 'node'),
    cpu: metaField(r, 'cpu'),
    cpus: metaField(r, 'cpus'),
    hostname: metaField(r, 'hostname'),
    keystone: metaField(r, 'keystone.kind'),
  };
}
