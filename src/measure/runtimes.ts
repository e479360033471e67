// How a sample worker is started, chosen from the design's runtime: the rest of the run is the same protocol.
import type { Runtime } from '../designs/descriptor.ts';
import { PYTHON, PYTHON_WORKER, pythonEnv } from '../worker/python/paths.ts';
import { withoutCredentials } from '../util/env.ts';
import { supervise, type Supervised } from './child.ts';
import type { ParentMessage, WorkerMessage } from '../worker/protocol.ts';
import { nodeWorkerBundle } from './node-bundle.ts';
import type { Launcher } from './session.ts';

/**
 * Flags of every node worker (recorded in the results' meta). --min/--max-semi-space-size=4 pin V8's young
 * generation: by default it grows with the allocation rate up to 3 × 16 MB and stays committed, a step in RSS that
 * depends on how fast the build allocated, not on how many objects it keeps. Pinned at 4 MB rather than 1 MB: a
 * token's ~30 KB of garbage (its body and the parsed document) filled 1 MB every ~30 creations, and the
 * scavenges took a fifth of a build's time; slopes and snapshots came out the same either way. --single-threaded
 * keeps the compilers and the GC on the main thread, so no background thread holds malloc'd memory at one reading
 * and not at the next.
 * --no-opt --no-maglev stop V8 from compiling optimised code as call counts grow: that code (and its deopt data)
 * kept appearing thousands of entries into a build, a per-N growth that was not the entries' (measured with heap
 * snapshots: ~260 B per entry of a 416 B token record between N = 300 and 1300). --no-sparkplug does the same for
 * baseline code, which came and went in 150–220 KB steps of code space between readings of the same worker; turning
 * it off made no measurable difference to build time. What an entry retains does not depend on which tier ran the
 * code that built it. --no-memory-reducer: the memory reducer's idle-time collections shrink the heap at moments of
 * its own choosing, between readings; each reading runs its own compacting collections (src/worker/node/settle.ts).
 * --no-inline-new: with allocation inlined into generated code, heapUsed after a full collection moved in a
 * sawtooth of ±70–120 KB as the build went on (a stand-alone loop holding plain objects showed it as well: 72 KB
 * scatter about its line, 1.4 KB without inline allocation), noise that cost trials; the per-entry slope and the
 * heap snapshot's retained size are the same either way. --no-lazy-feedback-allocation: V8 gives a function its
 * feedback vector only after several calls, so functions that run once per reading (settling, the reading, its
 * message) got theirs between the 5th and the 12th reading: ~10 KB that made the slope at --maxsize 2000 2–5 %
 * larger than at 10000. Allocated at the first call, they are in place before the first reading.
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

const snakeStores = (stores: Record<string, { socketPath?: string; url?: string; servers?: string[]; keyPrefix: string } | undefined>) =>
  Object.fromEntries(Object.entries(stores).map(([id, l]) => [id, {
    ...(l?.socketPath ? { socket_path: l.socketPath } : {}), ...(l?.url ? { url: l.url } : {}),
    ...(l?.servers ? { servers: l.servers } : {}), key_prefix: l?.keyPrefix,
  }]));

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
    const memory = (m.memory ?? {}) as { rss: number; tracemalloc?: number | null };
    const mem = { rss: memory.rss, ...(typeof memory.tracemalloc === 'number' ? { tracemalloc: memory.tracemalloc } : {}) };
    if (m.type === 'ready') return { type: 'ready', memory: mem };
    if (m.type === 'reading') {
      return { type: 'reading', n: m.n as number, memory: mem, buildMs: m.build_ms as number, tokens: Math.max(Number(m.tokens ?? 0), Number(m.auth_requests ?? 0)) };
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
