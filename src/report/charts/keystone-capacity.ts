// The capacity curve of each Keystone operation: operations/s (and p50 latency) against concurrency.
import type { TopLevelSpec } from 'vega-lite';
import type { KeystoneLoadResults } from '../../keystone-load/schema.ts';
import { CONFIG, SCHEMA_URL, type Chart } from './theme.ts';

export function keystoneCapacityChart(r: KeystoneLoadResults): Chart | undefined {
  const points = r.operations.flatMap((o) => o.curve.map((p) => ({ op: o.id, concurrency: p.concurrency, perS: p.perS, p50: p.p50Ms, errors: p.errors })));
  if (!points.length) return undefined;
  const whose = r.meta.keystone.kind === 'stand-in' ? 'the stand-in (not Keystone)' : `Keystone ${r.meta.keystone.version}, bcrypt cost ${r.meta.keystone.passwordHashRounds ?? 'unknown'}`;
  const x = { field: 'concurrency', type: 'quantitative' as const, scale: { type: 'log' as const, base: 2 }, title: 'requests in flight (log scale)' };
  const color = { field: 'op', type: 'nominal' as const, title: null };
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    title: { text: 'Capacity curve', subtitle: `${whose} · ${r.meta.machine.cpus} CPUs, load ${r.meta.machine.loadAvg1AtStart.toFixed(1)} at start` },
    config: CONFIG,
    data: { values: points },
    hconcat: [
      { width: 300, height: 220, layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'perS', type: 'quantitative', title: 'operations/s' }, color } },
      ] },
      { width: 300, height: 220, layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'p50', type: 'quantitative', scale: { type: 'log' }, title: 'p50 latency, ms (log)' }, color } },
      ] },
    ],
  };
  return {
    name: 'keystone-capacity', title: 'Capacity curve',
    caption: 'Each operation driven by a closed loop at 1, 2, 4, … requests in flight: successful operations per second (left) and median latency (right). ' +
      'Throughput stops rising where Keystone saturates; the highest is the capacity.',
    spec,
  };
}
