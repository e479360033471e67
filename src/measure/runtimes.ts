// How a sample worker is started, chosen from the design's runtime: the rest of the run is the same protocol.
import type { Runtime } from '../designs/descriptor.ts';
import { PYTHON, PYTHON_WORKER, pythonEnv } from '../worker/python/paths.ts';
import { withoutCredentials } from '../util/env.ts';
import { supervise, type Supervised } from './child.ts';
import type { MemoryReading, ParentMessage, WorkerMessage } from '../worker/protocol.ts';
import { nodeWorkerBundle } from './node-bundle.ts';
import type { Launcher } from './session.ts';

/**
 * Flags of every node worker (recorded in the results' meta): each removes a growth or a scatter of memory that is
 * not the entries', and none changes what an entry retains (README, "Why the workers run as they do", has the
 * measurements behind each).
 * - --min/--max-semi-space-size=4: a young generation of fixed size, so RSS does not step with the allocation rate;
 *   4 MB, not 1, so scavenges stay a small part of a build.
 * - --single-threaded: compilers and GC on the main thread, so no background thread holds malloc'd memory at one
 *   reading and not at the next.
 * - --no-opt --no-maglev --no-sparkplug: no code tier appears as call counts grow, so no code or deopt data grows
 *   with N, and code space does not come and go between readings.
 * - --no-memory-reducer: no idle-time collections at moments of their own choosing; each reading runs its own
 *   compacting collections (src/worker/node/settle.ts).
 * - --no-inline-new: heapUsed after a full collection without the sawtooth inline allocation leaves.
 * - --no-lazy-feedback-allocation: functions that run once per reading get their feedback vectors at their first
 *   call, before the first reading, not between readings.
 */
export const WORKER_NODE_FLAGS = ['--expose-gc', '--min-semi-space-size=4', '--max-semi-space-size=4', '--single-threaded', '--no-opt', '--no-maglev', '--no-sparkplug', '--no-memory-reducer', '--no-inline-new', '--no-lazy-feedback-allocation'];

/**
 * The worker's environment: the harness's minus anything that looks like a credential; the worker gets what it
 * needs over its protocol channel. One malloc arena: glibc's per-thread arenas keep freed memory in RSS. Fixed
 * trim and mmap thresholds (128 KB, glibc's defaults, which setting them freezes): left dynamic, glibc raises them
 * after freeing a large block and then hands back 8–23 MB at once at some later free, a drop in RSS at a random
 * reading of one trial in three or four that left small designs' RSS slopes unresolved.
 */
export const WORKER_NODE_ENV = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' };

export function workerEnv(): NodeJS.ProcessEnv {
  return { ...withoutCredentials(process.env), ...WORKER_NODE_ENV };
}

export interface LaunchOptions {
  /** V8 old-space limit for node workers, MB (fault tests) */
  maxOldSpaceMb?: number;
}

export function launcherFor(runtime: Runtime, opts: LaunchOptions = {}): Launcher {
  if (runtime === 'python') {
    return async () => pythonDialect(supervise({ kind: 'spawn-lines', command: PYTHON, args: ['-u', PYTHON_WORKER], env: pythonEnv() }));
  }
  return async (job) => {
    const execArgv = [...WORKER_NODE_FLAGS];
    if (opts.maxOldSpaceMb) execArgv.push(`--max-old-space-size=${opts.maxOldSpaceMb}`);
    return supervise({ kind: 'fork', module: await nodeWorkerBundle(job.design.module), execArgv, env: workerEnv() });
  };
}

/** Store locations in the python workers' names (snake_case). */
export const snakeStores = (stores: Record<string, { socketPath?: string; url?: string; servers?: string[]; keyPrefix: string } | undefined>) =>
  Object.fromEntries(Object.entries(stores).map(([id, l]) => [id, {
    ...(l?.socketPath ? { socket_path: l.socketPath } : {}), ...(l?.url ? { url: l.url } : {}),
    ...(l?.servers ? { servers: l.servers } : {}), key_prefix: l?.keyPrefix,
  }]));

const PYTHON_READINGS: Array<[string, 'tracemalloc' | 'tracemallocOwn' | 'pymallocArenas' | 'mallocHeld']> = [
  ['tracemalloc', 'tracemalloc'], ['tracemalloc_own', 'tracemallocOwn'], ['pymalloc_arenas', 'pymallocArenas'], ['malloc_held', 'mallocHeld'],
];

/** The python worker speaks the same protocol with python's names (snake_case, seconds): translated here only. */
function pythonDialect(child: Supervised<unknown, Record<string, unknown>>): Supervised<ParentMessage, WorkerMessage> {
  const toPython = (m: ParentMessage): unknown => {
    if (m.type === 'start') {
      const k = m.ctx.keystone;
      return {
        type: 'start', module: m.module, warmup: m.warmup, warmup_trust_id: m.warmupTrustId, capacity: m.capacity, trace: m.trace ?? false,
        ctx: { auth_url: k.authUrl, username: k.username, password: k.password, user_domain_name: k.userDomainName,
          timeout_s: m.ctx.timeoutMs / 1000, retries: m.ctx.retries, stores: snakeStores(m.ctx.stores) },
      };
    }
    if (m.type === 'grow') return { type: 'grow', trust_ids: m.trustIds };
    return m;
  };
  const fromPython = (m: Record<string, unknown>): WorkerMessage => {
    const memory = (m.memory ?? {}) as Record<string, number | null | undefined>;
    const mem: MemoryReading = { rss: memory.rss as number };
    for (const [from, to] of PYTHON_READINGS) if (typeof memory[from] === 'number') mem[to] = memory[from] as number;
    if (m.type === 'ready') return { type: 'ready', memory: mem };
    if (m.type === 'reading') {
      return { type: 'reading', n: m.n as number, memory: mem, buildMs: m.build_ms as number, tokens: Math.max(Number(m.tokens ?? 0), Number(m.auth_requests ?? 0)) };
    }
    if (m.type === 'snapshot-written') {
      const sites = (m.sites ?? []) as Array<{ site: string; bytes_per_entry: number; blocks_per_entry: number }>;
      return { type: 'snapshot-written', sites: sites.map((s) => ({ site: s.site, bytesPerEntry: s.bytes_per_entry, blocksPerEntry: s.blocks_per_entry })) };
    }
    return m as WorkerMessage;
  };
  return {
    get pid() { return child.pid; },
    send: (m) => child.send(toPython(m)),
    next: async () => fromPython(await child.next()),
    exited: child.exited,
    kill: () => child.kill(),
    exitReason: (e) => child.exitReason(e),
  };
}
