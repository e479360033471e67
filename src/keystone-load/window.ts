// A measurement window: wall time, Keystone's CPU time (its process tree, when local), and how busy the rest of
// the machine was meanwhile (all CPUs' busy time from /proc/stat minus Keystone's and this process's own, and the
// load average), so a figure measured on a shared machine says what it competed with.
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { clockTickMs, treeCpu } from './proc-cpu.ts';

/** Busy CPU time of the whole machine so far, ms (user + nice + system + irq + softirq + steal). */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) * clockTickMs();
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export interface WindowReading {
  wallMs: number;
  /** Keystone's CPU time in the window, ms; null when its processes cannot be read */
  keystoneCpuMs: number | null;
  /** CPUs' worth of work by everything but Keystone and this process, averaged over the window */
  otherCores: number;
  /** 1-minute load average at the end */
  loadAvg1: number;
}

export function openWindow(masterPid?: number): { close(): WindowReading } {
  const t0 = performance.now();
  const ks0 = masterPid ? treeCpu(masterPid).ms : null;
  const busy0 = machineBusyMs();
  const own0 = ownCpuMs();
  return {
    close() {
      const ks1 = masterPid ? treeCpu(masterPid).ms : null;
      const wallMs = performance.now() - t0;
      const keystoneCpuMs = ks0 === null || ks1 === null ? null : ks1 - ks0;
      const other = machineBusyMs() - busy0 - (keystoneCpuMs ?? 0) - (ownCpuMs() - own0);
      return { wallMs, keystoneCpuMs, otherCores: Math.max(0, other) / Math.max(1, wallMs), loadAvg1: loadavg()[0] };
    },
  };
}
