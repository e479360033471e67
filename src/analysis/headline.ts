// Which figure stands for a design, in one place: the report, the model, the planner and the summary all ask
// here. Memory as `ps` sees it (RSS) when it is resolved; where RSS moves in pages and malloc arenas and cannot
// tell a small entry from nothing, the V8 heap (plus memory outside it, when that is resolved), or for python
// tracemalloc's count. A design none of whose figures is resolved has no headline: it is shown as not resolved.
import type { MetricName } from '../results/metrics.ts';
import type { DesignResult, Slope } from '../results/schema.ts';

export interface Headline {
  metric: MetricName;
  bytes: number;
}

/** Resolved: the CI lies above 0. Files from before schema 2 carry no resolution: the same test on their CI. */
export const isResolved = (s: Slope | undefined): s is Slope =>
  !!s && (s.resolution ? s.resolution.resolved : s.ci95[0] > 0 && s.bytes > 0);

export function headline(d: Pick<DesignResult, 'perObject'>): Headline | null {
  const p = d.perObject;
  for (const metric of ['rss', 'pidusageRss'] as const) {
    const s = p[metric];
    if (isResolved(s)) return { metric, bytes: s.bytes };
    if (s && metric === 'rss') break; // the child's own reading was taken: pidusage's is the same thing
  }
  if (isResolved(p.heapUsed)) return { metric: 'heapUsed', bytes: p.heapUsed.bytes + (isResolved(p.external) ? p.external.bytes : 0) };
  if (isResolved(p.tracemalloc)) return { metric: 'tracemalloc', bytes: p.tracemalloc.bytes };
  return null;
}
