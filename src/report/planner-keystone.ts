// The planner's Keystone table (when Keystone's measured costs were given): cores per design on average, at the
// evaluation tick and after a notifier restart, utilization, how long a tick takes to drain, and the notifier
// workers needed. Terminal and Markdown share these cells.
import type { Plan } from '../model/planner.ts';
import type { KeystoneRow } from '../model/keystone.ts';

const f = (v: number | null, d: number) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));
const cores = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

export const KEYSTONE_HEAD = ['Design', 'Keystone cores: average', 'tick', 'restart', 'Utilization', 'Tick drains in', 'Notif./s per worker', 'Workers needed', 'Keystone'];
/** The columns of KEYSTONE_HEAD that hold one figure each ('–' when there is none) */
export const KEYSTONE_NUMERIC_HEADS: readonly string[] = ['Keystone cores: average', 'tick', 'restart', 'Utilization', 'Tick drains in',
  'Notif./s per worker', 'Workers needed'];

function cells(id: string, k: KeystoneRow): string[] {
  return [id, cores(k.keystoneCores.average), cores(k.keystoneCores.peak), cores(k.keystoneCores.coldStart),
    k.utilization === null ? '–' : `${f(k.utilization * 100, 1)} %`, k.tick.drainS === null ? '–' : `${f(k.tick.drainS, 1)} s`,
    f(k.notifierPerWorkerPerS, 1), k.workersNeeded === null ? '–' : String(k.workersNeeded), k.overloaded ? 'OVERLOADED' : 'ok'];
}

/** Header line, rows (no cache first) and a note; empty when the plan has no Keystone figures. */
export function keystoneTable(p: Plan): { lead: string; head: string[]; rows: string[][]; note: string } | null {
  const ks = p.keystoneCosts;
  if (!ks || !p.noCache.keystone) return null;
  const c = ks.costs;
  const avail = ks.capacity.cores !== undefined ? `${ks.capacity.cores} cores (--keystone-cores)`
    : c.capacityPerS === null ? 'unknown' : `${ks.capacity.hosts} host${ks.capacity.hosts === 1 ? '' : 's'} × ${c.capacityPerS.toFixed(1)} tokens/s measured`;
  return {
    lead: `Keystone (${c.source}): ${c.cpuMsPerToken.toFixed(1)} ms CPU per token, ${c.cpuMsPerValidation.toFixed(1)} ms per validation, bcrypt cost ${c.passwordHashRounds ?? 'unknown'}; available: ${avail}.`,
    head: KEYSTONE_HEAD,
    rows: [cells('no cache', p.noCache.keystone), ...p.rows.filter((x) => x.keystone).map((x) => cells(x.id, x.keystone!))],
    note: `Cores = tokens/s × CPU per token + validations/s × CPU per validation. Tick: one evaluation's tokens arrive together; "tick" is the cores that serve them within ${ks.capacity.tickWindowS} s, ` +
      '"Tick drains in" the time the available cores take (the last notification\'s wait). Restart: the first tick after a notifier restart, when in-process caches are empty ' +
      '(per-worker: every worker re-mints every trust it sees; shared: each trust once, as with a cold store). Utilization = average / available; at 100 % or more Keystone\'s queue grows without end (OVERLOADED) and the design is not recommended. ' +
      'Notifications/s per worker: the notifier\'s own time per notification (Aodh\'s, measured by the bench, or the design\'s cached hit) plus its tokens\' share of Keystone\'s latency at concurrency 1.',
  };
}
