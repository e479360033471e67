// Which Keystone the load runs against, and what is known about how it is served. Without --keystone-url: the
// running local Keystone of scripts/keystone-local.sh, credentials from its openrc. With --keystone-url:
// credentials from the OS_* environment, as the bench takes them. When the URL is the local script's own (its
// server.json names it and its uWSGI master is alive), Keystone's CPU can be read from /proc and its settings
// (bcrypt rounds, token provider, cache, processes) and revocation events are known; otherwise they are not.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../util/usage-error.ts';
import { connectRealKeystone, type RealKeystoneEnv } from '../keystone/real.ts';
import { procStat } from './proc-cpu.ts';

export const DEFAULT_LOCAL_DIR = '/tmp/keystone-local';

/** What scripts/keystone-local.sh writes to server.json (the fields used here). */
export interface LocalServer {
  server: string;
  processes: number;
  threadsPerProcess: number;
  url: string;
  masterPid: number;
  passwordHashRounds?: number | null;
  tokenProvider?: string;
  tokenExpirationS?: number;
  cache?: string;
  database?: string;
}

export interface KeystoneSettings {
  url: string;
  version: string;
  /** how it is served, when known */
  server: string | null;
  local: boolean;
  /** why Keystone's CPU cannot be measured, when it cannot */
  cpuNotMeasurable?: string;
  processes: number | null;
  passwordHashRounds: number | null;
  tokenProvider: string | null;
  tokenExpirationS: number | null;
  cache: string | null;
}

export interface LoadTarget {
  keystone: RealKeystoneEnv;
  settings: KeystoneSettings;
  /** the project the trustee's own token is scoped to (authorises the validations) */
  project: { name: string; domainName: string };
  /** the uWSGI master whose process tree is Keystone (local only) */
  masterPid?: number;
  /** revocation events in Keystone's database now; null when they cannot be read */
  revocationEvents(): number | null;
  close(): Promise<void>;
}

const normal = (url: string) => url.replace(/\/+$/, '').replace(/\/v3$/, '') + '/v3';

/** `export K=V` lines of an openrc, as an environment (values unquoted as the script writes them). */
export function parseOpenrc(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return env;
}

function readLocalServer(dir: string): LocalServer | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as LocalServer;
  } catch {
    return undefined;
  }
}

/** Rows of Keystone's revocation_event table (sqlite, read-only, through Debian's python: node 20 has no sqlite). */
export function countRevocationEvents(database: string): number | null {
  try {
    const out = execFileSync('/usr/bin/python3', ['-c',
      'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True); print(c.execute("select count(*) from revocation_event").fetchone()[0])',
      database], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const n = Number(out.trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

export async function openTarget(opts: { keystoneUrl?: string; env: NodeJS.ProcessEnv; trusts: number; note?: (s: string) => void }): Promise<LoadTarget> {
  const dir = opts.env.KEYSTONE_LOCAL_DIR || DEFAULT_LOCAL_DIR;
  let env = opts.env;
  let url = opts.keystoneUrl;
  if (!url) {
    const openrc = join(dir, 'openrc');
    if (!existsSync(openrc)) {
      throw new UsageError(`no --keystone-url and no local Keystone running (${openrc} not found): start one with ` +
        '`scripts/keystone-local.sh start --hash-rounds 12`, or pass --keystone-url URL with OS_USERNAME/OS_PASSWORD and trustor credentials in the environment');
    }
    env = { ...parseOpenrc(readFileSync(openrc, 'utf8')) };
    url = env.OS_AUTH_URL;
    if (!url) throw new UsageError(`${openrc} sets no OS_AUTH_URL`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--keystone-url must be an http(s) URL, got "${url}"`);
  }
  if (!/^https?:$/.test(parsed.protocol)) throw new UsageError(`--keystone-url must be an http(s) URL, got "${url}"`);
  if (parsed.username || parsed.password) throw new UsageError('--keystone-url must not carry credentials (use the OS_* environment)');

  const keystone = await connectRealKeystone(url, env, { trusts: opts.trusts, note: opts.note }).catch((err: Error) => {
    // the local Keystone's openrc is there but it does not answer: say how to bring it back
    if (!opts.keystoneUrl && err instanceof UsageError) throw new UsageError(`${err.message} (the local Keystone of ${dir} is not answering: scripts/keystone-local.sh start --hash-rounds 12)`);
    throw err;
  });
  const local = readLocalServer(dir);
  const isLocal = Boolean(local && normal(local.url) === keystone.url && procStat(local.masterPid));
  const settings: KeystoneSettings = {
    url: keystone.url, version: keystone.version, server: (isLocal ? local!.server : keystone.server) ?? null, local: isLocal,
    ...(isLocal ? {} : { cpuNotMeasurable: 'not a Keystone of scripts/keystone-local.sh on this machine: its processes cannot be read, so CPU per operation is not measured (throughput and latency only)' }),
    processes: isLocal ? local!.processes : null,
    passwordHashRounds: isLocal ? local!.passwordHashRounds ?? null : null,
    tokenProvider: isLocal ? local!.tokenProvider ?? null : null,
    tokenExpirationS: isLocal ? local!.tokenExpirationS ?? null : null,
    cache: isLocal ? local!.cache ?? null : null,
  };
  const database = isLocal ? local!.database : undefined;
  return {
    keystone, settings,
    project: { name: env.OS_PROJECT_NAME ?? 'bench', domainName: env.OS_PROJECT_DOMAIN_NAME ?? 'Default' },
    ...(isLocal ? { masterPid: local!.masterPid } : {}),
    revocationEvents: () => (database ? countRevocationEvents(database) : null),
    close: () => keystone.close(),
  };
}
