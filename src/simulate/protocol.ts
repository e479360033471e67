// The messages between the token simulation (src/simulate/run.ts, the parent) and its notifier workers
// (src/simulate/worker.ts), over node's IPC channel. Credentials travel over IPC only, never argv.
import type { Eviction } from '../model/firing.ts';
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
  /** the virtual clock: epoch ms of stream time 0, and virtual seconds per usable period */
  origin: number;
  secondsPerPeriod: number;
  /** how the worker's cache drops entries, and whether its entries hold their own token */
  topology: 'per-worker' | 'shared';
  eviction: Eviction;
}

/** Handle these notifications in this order: pairs of (scheduled virtual instant, epoch ms; trust index). */
export interface SimStepMessage {
  type: 'step';
  items: number[];
}

/** The stream is over at virtual instant `at`: report (entries counted at that instant). */
export interface SimFinishMessage {
  type: 'finish';
  at: number;
}

export type SimParentMessage = SimInitMessage | SimStepMessage | SimFinishMessage | { type: 'exit' };

export interface SimWorkerDone {
  type: 'done';
  worker: number;
  handled: number;
  /** tokens this worker obtained during the stream, counted client-side (auth.ts tokensObtained) */
  tokensObtained: number;
  /** entries in the worker's cache at the end, after its eviction policy */
  entries: number;
  /** one triple per notification that minted: trust, real ms the token() call began, real ms it ended */
  mints: number[];
  errors: number;
  firstError?: string;
}

export type SimWorkerMessage =
  | {
    type: 'ready'; worker: number; pid: number;
    /** worker 0, store designs over a pool: the server each trust's record hashes to (design.storeServer), by trust index */
    storeServers?: string[];
  }
  | { type: 'stepped'; worker: number; errors: number; firstError?: string }
  | SimWorkerDone
  | { type: 'error'; worker: number; message: string };
