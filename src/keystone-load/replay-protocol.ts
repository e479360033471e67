// The messages between the real-time replay (src/keystone-load/replay.ts, the parent) and its notifier workers
// (src/keystone-load/replay-worker.ts), over node's IPC channel. Credentials travel over IPC only, never argv.
import type { StreamSpec } from '../model/sim-stream.ts';
import type { ContextSpec } from '../worker/protocol.ts';

export interface ReplayInitMessage {
  type: 'init';
  worker: number;
  design: string;
  /** the design's module (absent for no-cache) */
  module?: string;
  /** whether the worker's entries hold their own token */
  topology: 'per-worker' | 'shared';
  ctx: ContextSpec;
  /** trustIds[i] is trust i of the stream */
  trustIds: string[];
  /** a trust outside the stream, for warming up (its token is never used by the stream) */
  warmupTrustId: string;
  /** every worker regenerates the stream from it and keeps its own notifications */
  spec: StreamSpec;
  /** real ms of one usable period */
  periodMs: number;
  /**
   * The notifiers' clock: notifier(t) = origin + (t − origin) × speedup, t = Date.now(). Keystone keeps real
   * time, so a token's remaining lifetime is put on this clock when it arrives.
   */
  clock: { origin: number; speedup: number };
}

export interface ReplayGoMessage {
  type: 'go';
  /** Date.now() at which stream time 0 falls */
  startAt: number;
  /** a notification not begun by then is left unhandled (counted: the backlog) */
  stopAt: number;
}

export type ReplayParentMessage = ReplayInitMessage | ReplayGoMessage | { type: 'exit' };

export interface ReplayWorkerDone {
  type: 'done';
  worker: number;
  /** notifications begun before stopAt */
  handled: number;
  /** notifications left waiting at stopAt */
  unhandled: number;
  /** tokens this worker obtained during the stream, counted client-side (auth.ts tokensObtained) */
  tokensObtained: number;
  /** one triple per notification that minted: trust, real ms the token() call began, real ms it ended */
  mints: number[];
  /** one pair per handled notification: its due time after startAt, and due → token ready, real ms */
  latencies: number[];
  errors: number;
  firstError?: string;
}

export type ReplayWorkerMessage =
  | { type: 'ready'; worker: number; pid: number }
  | ReplayWorkerDone
  | { type: 'error'; worker: number; message: string };
