// Turns the raw tallies of a campaign into the Results document: statistics per design, status, notes.
import { DESIGNS } from '../designs/index.ts';
import type { DesignTally } from '../measure/campaign.ts';
import { perObjectAll } from '../stats/per-object.ts';
import { POST_REFERENCE, SCHEMA_VERSION, type DesignResult, type LatencyResult, type Meta, type Results } from './schema.ts';

export function designResult(id: string, tally: DesignTally | undefined, unavailable?: string): DesignResult {
  const info = DESIGNS.find((d) => d.id === id)!;
  const samples = tally?.samples ?? [];
  const failures = tally?.failures ?? [];
  const status: DesignResult['status'] = unavailable
    ? 'unavailable'
    : samples.length === 0
      ? 'failed'
      : failures.length > 0
        ? 'partial'
        : 'ok';
  const result: DesignResult = {
    id,
    title: info.title,
    status,
    samples: [...samples].sort((a, b) => a.trial - b.trial || a.n - b.n),
    failures,
    perObject: perObjectAll(samples),
    tokensIssued: tally?.tokensIssued ?? 0,
  };
  if (unavailable) result.note = unavailable;
  else if (failures.length) result.note = `${failures.length} sample(s) failed: ${[...new Set(failures.map((f) => f.reason))].slice(0, 3).join('; ')}`;
  return result;
}

export function assembleResults(meta: Meta, designs: DesignResult[], latency?: LatencyResult[]): Results {
  const r: Results = { schema: SCHEMA_VERSION, meta, designs, reference: POST_REFERENCE };
  if (latency) r.latency = latency;
  return r;
}
