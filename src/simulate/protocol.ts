// The messages between the token simulation (src/simulate/run.ts, the parent) and its notifier workers
// (src/simulate/worker.ts), over node's IPC channel. Credentials travel over IPC only, never argv.
import type { StreamSpec } from '../model/sim-stream.ts';
import type { ContextSpec } from '../worker/protocol.ts';

export interface SimInitMessage {
  type: 'init';
  worker: number;
  design: string;
  /** the design's module (absent for no-cache) */
  module?: string;
  ctx: ContextSpec;
  /** trustIds[i] is trust i of the stream */
  trustIds: string[];
  /** a trust outside the stream, for warming up (its token is never used by the stream) */
  warmupTrustId: string;
  spec: StreamSpec;
  /**
   * virtual(t) = origin + (t − origin) × speedup, t = Date.now(). keystoneRealTime: Keystone's clock is the real
   * one (a real Keystone, not the stand-in), so a token's remaining lifetime is put on the virtual clock when it
   * arrives: the designs see tokens of Keystone's lifetime on the accelerated clock, as the stand-in issues them.
   */
  clock: { origin: number; speedup: number; keystoneRealTime?: boolean };
  /** real ms of one usable period */
  periodMs: number;
}

export interface SimGoMessage {
  type: 'go';
  /** Date.now() at which stream time 0 falls */
  startAt: number;
  /** a notification not begun by then is left unhandled (counted, the backlog); absent: every one is handled */
  stopAt?: number;
}

export type SimParentMessage = SimInitMessage | SimGoMessage | { type: 'exit' };

export interface SimWorkerDone {
  type: 'done';
  worker: number;
  handled: number;
  /** tokens this worker obtained during the stream, counted client-side (auth.ts tokensObtained) */
  tokensObtained: number;
  /** entries in the worker's cache at the end */
  entries: number;
  /** how late notifications were handled, real ms (p50, p99, max) */
  lagMs: [number, number, number];
  /** one triple per notification that minted: trust, real ms the token() call began, real ms it ended */
  mints: number[];
  /** with stopAt: one pair per handled notification, its due time after startAt and due → token ready, real ms */
  latencies?: number[];
  /** with stopAt: notifications left unhandled */
  unhandled?: number;
  errors: number;
  firstError?: string;
}

export type SimWorkerMessage =
  | {
    type: 'ready'; worker: number; pid: number;
    /** worker 0, store designs over a pool: the server each trust's record hashes to (design.storeServer), by trust index */
    storeServers?: string[];
  }
  | SimWorkerDone
  | { type: 'error'; worker: number; message: string };
