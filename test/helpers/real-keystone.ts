// Is a real Keystone running for the tests (scripts/keystone-local.sh, which CI starts)? Decided by a live probe —
// GET the auth URL with a short timeout — never by a file's presence: `stop` removes the openrc, but a file left
// over by a crash must not pass for a running Keystone either. Credentials come from the openrc that `start`
// wrote. Under CI=true a missing Keystone is a failure (the caller asserts `available`), not a skip.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';

export interface RealKeystone {
  available: boolean;
  /** why not, for the skip message or the CI failure */
  reason: string;
  /** the openrc's variables (OS_*, KEYSTONE_LOCAL_*) */
  env: Record<string, string>;
}

export const mustHaveKeystone = process.env.CI === 'true';

export async function probeKeystone(url: string, timeoutMs = 2000): Promise<string | null> {
  try {
    const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const body = (await res.body.json().catch(() => undefined)) as { version?: { id?: string } } | undefined;
    if (res.statusCode === 200 && body?.version?.id) return null;
    return `GET ${url} answered HTTP ${res.statusCode} without a version document`;
  } catch (err) {
    return `GET ${url} failed: ${(err as { code?: string }).code ?? (err as Error).message}`;
  }
}

export async function realKeystone(): Promise<RealKeystone> {
  const openrc = join(process.env.KEYSTONE_LOCAL_DIR ?? '/tmp/keystone-local', 'openrc');
  const env: Record<string, string> = {};
  if (existsSync(openrc)) {
    for (const m of readFileSync(openrc, 'utf8').matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  const port = process.env.KEYSTONE_LOCAL_PORT ?? '5000';
  const url = env.OS_AUTH_URL ?? `http://127.0.0.1:${port}/v3`;
  const down = await probeKeystone(url);
  if (down) return { available: false, reason: `no real Keystone: ${down} (run scripts/keystone-local.sh start)`, env };
  if (!env.OS_AUTH_URL || !env.KEYSTONE_LOCAL_TRUSTOR_PASSWORD || !env.OS_PASSWORD) {
    return { available: false, reason: `a Keystone answers at ${url} but ${openrc} with its credentials is missing (not started by scripts/keystone-local.sh?)`, env };
  }
  return { available: true, reason: '', env };
}
