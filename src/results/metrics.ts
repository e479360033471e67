// Every per-object metric, once: its name in samples and results, its label, unit, whether it is counted per
// entry in the worker or per key in a store, and its colour in every chart. Exporters, charts and statistics
// take the list from here.
import { findStoreDriver } from '../stores/index.ts';
export const METRICS = [
  { name: 'heapUsed', label: 'heapUsed', unit: 'bytes', per: 'object', colour: '#4c78a8' },
  { name: 'external', label: 'external', unit: 'bytes', per: 'object', colour: '#72b7b2' },
  { name: 'rss', label: 'RSS', unit: 'bytes', per: 'object', colour: '#f58518' },
  { name: 'pidusageRss', label: 'pidusage RSS', unit: 'bytes', per: 'object', colour: '#ffbf79' },
  { name: 'tracemalloc', label: 'tracemalloc (python)', unit: 'bytes', per: 'object', colour: '#54a24b' },
  { name: 'storeUsedMemory', label: 'store memory', unit: 'bytes', per: 'key', colour: '#e45756' },
  { name: 'storeRss', label: 'store server RSS', unit: 'bytes', per: 'key', colour: '#ff9d98' },
  { name: 'fds', label: 'open file descriptors', unit: 'count', per: 'object', colour: '#b279a2' },
  { name: 'sockets', label: 'open sockets', unit: 'count', per: 'object', colour: '#d6a5c9' },
] as const;

export type MetricName = (typeof METRICS)[number]['name'];
export type MetricInfo = (typeof METRICS)[number];
export const METRIC_NAMES: MetricName[] = METRICS.map((m) => m.name);
export const metricInfo = (name: MetricName): MetricInfo => METRICS.find((m) => m.name === name)!;
export const BYTE_METRICS: MetricName[] = METRICS.filter((m) => m.unit === 'bytes').map((m) => m.name);

/** Store metrics are labelled with the store they were read from: "Redis used_memory", "memcached bytes". */
export function metricLabel(name: MetricName, store?: string): string {
  const driver = findStoreDriver(store);
  if (name === 'storeUsedMemory') return driver?.usedMemoryLabel ?? 'store memory';
  if (name === 'storeRss') return `${driver?.name ?? store ?? 'store'} server RSS`;
  return metricInfo(name).label;
}
