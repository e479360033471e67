// Which Keystone a run talks to. By default the embedded stand-in, started here and stopped at the end; with
// --keystone-url a real one (src/keystone/real.ts), with credentials from the OS_* environment only.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { UsageError } from '../util/usage-error.ts';
import { startStandIn, type Fault, type StandIn } from './standin.ts';
import type { AuthTarget } from './auth.ts';
import type { InProcessOptions } from './in-process-post.ts';
import { registerSecret } from '../util/redact.ts';

export interface KeystoneEnv {
  kind: 'stand-in' | 'real';
  url: string;
  version: string;
  catalogServices?: number;
  target: AuthTarget;
  /** how a real Keystone is served (e.g. "uwsgi 2.0.21-debian, 4 processes, HTTP/1.1 keep-alive"), when known */
  server?: string;
  /**
   * `count` distinct trust ids usable by target's user (the same ids again for the same or a smaller count).
   * A real Keystone that cannot provide them rejects with a UsageError rather than repeat a trust.
   */
  trustIds(count: number): Promise<string[]>;
  /** tokens Keystone issued so far, when it can be known (the stand-in counts them) */
  tokensIssued(): number | undefined;
  standIn?: StandIn;
  /**
   * The stand-in's in-process token path for node workers (src/keystone/in-process-post.ts). Absent with a real
   * Keystone, and while a test makes the stand-in misbehave: those faults are its HTTP server's.
   */
  inProcess?: InProcessOptions;
  close(): Promise<void>;
}

/**
 * TEST-ONLY hooks, read from the environment because the stand-in runs inside the CLI process where a test
 * cannot reach it. Never set them in a benchmark:
 * - KCB_STANDIN_FAULT=status:<code> | malformed | hang | delay:<ms> — the stand-in misbehaves on every
 *   POST /v3/auth/tokens (see Fault in src/keystone/standin.ts), to test per-design errors and timeouts.
 * - KCB_TEST_DUMP_TOKENS=<file> — the stand-in records every token id it issues, and so do workers on the
 *   in-process token path (appended to <file>.workers); at close they are written to <file> (mode 0600) with
 *   the passwords and trust ids, so a test can grep every output for them.
 */
export function parseFaultHook(raw: string | undefined): Fault | null {
  if (!raw) return null;
  const [kind, arg] = raw.split(':');
  const num = Number(arg);
  if (kind === 'status' && Number.isInteger(num) && num >= 100 && num <= 599) return { kind: 'status', status: num };
  if (kind === 'delay' && Number.isInteger(num) && num >= 0) return { kind: 'delay', ms: num };
  if (kind === 'malformed' && arg === undefined) return { kind: 'malformed' };
  if (kind === 'hang' && arg === undefined) return { kind: 'hang' };
  throw new UsageError(`KCB_STANDIN_FAULT must be status:<code>, malformed, hang or delay:<ms>, got "${raw}"`);
}

export async function startStandInEnv(opts: { services: number; trusts: number }, env: NodeJS.ProcessEnv = process.env): Promise<KeystoneEnv> {
  const fault = parseFaultHook(env.KCB_STANDIN_FAULT);
  const dumpFile = env.KCB_TEST_DUMP_TOKENS;
  const ks = await startStandIn({ services: opts.services, trusts: opts.trusts, recordTokens: Boolean(dumpFile) });
  const workerDump = dumpFile ? `${dumpFile}.workers` : undefined;
  registerSecret(ks.trustee.password);
  registerSecret(ks.trustor.password);
  if (fault) ks.setFault(fault);
  return {
    kind: 'stand-in',
    url: ks.authUrl,
    version: 'v3.14 (stand-in)',
    catalogServices: opts.services,
    target: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: ks.trustee.userDomainName },
    async trustIds(count) {
      if (ks.trustIds.length < count) ks.trustIds.push(...ks.createTrusts(count - ks.trustIds.length));
      return ks.trustIds.slice(0, count);
    },
    tokensIssued: () => ks.tokensIssued(),
    standIn: ks,
    ...(fault ? {} : { inProcess: { identity: ks.identity, ...(workerDump ? { recordTokensTo: workerDump } : {}) } }),
    async close() {
      await ks.close();
      if (dumpFile) {
        const fromWorkers = existsSync(workerDump!) ? readFileSync(workerDump!, 'utf8').split('\n').filter(Boolean) : [];
        rmSync(workerDump!, { force: true });
        const secrets = { tokens: [...ks.issuedTokens(), ...fromWorkers], passwords: [ks.trustee.password, ks.trustor.password], trustIds: ks.trustIds };
        writeFileSync(dumpFile, JSON.stringify(secrets), { mode: 0o600 });
      }
    },
  };
}
