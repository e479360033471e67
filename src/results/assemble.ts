// Puts the analysed designs, the run's metadata and the latency timings into one Results document.
import { POST_REFERENCE, SCHEMA_VERSION, type DesignResult, type LatencyResult, type Meta, type NotifierBaseline, type Results } from './schema.ts';

export function assembleResults(meta: Meta, designs: DesignResult[], latency?: LatencyResult[], notifier?: NotifierBaseline): Results {
  const r: Results = { schema: SCHEMA_VERSION, meta, designs, reference: POST_REFERENCE };
  if (latency) r.latency = latency;
  if (notifier) r.notifier = notifier;
  return r;
}
