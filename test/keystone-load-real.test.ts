// npm run keystone-load against the real Keystone of scripts/keystone-local.sh (CI starts one; skipped without
// one, decided by a live probe): Keystone is recognised as local, its CPU per operation is read from its
// process tree, and no password, token or trust id reaches any output. Small settings: about 20 s.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mustHaveKeystone, realKeystone } from './helpers/real-keystone.ts';
import { runScript } from './helpers/run-cli.ts';
import { filesUnder } from './helpers/secrets.ts';

const real = await realKeystone();
if (!real.available && !mustHaveKeystone) console.warn(`keystone-load real test skipped: ${real.reason}`);

describe.runIf(real.available || mustHaveKeystone)('keystone-load on the local real Keystone', () => {
  it('measures Keystone\'s CPU per operation from its processes, and writes no secret', () => {
    expect(real.available).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'kcb-kl-real-'));
    try {
      const r = runScript('bench/keystone-load.ts', ['--out', out, '--operations', 'token-trust-nocatalog,validate', '--batches', '3',
        '--batch-cpu-ms', '300', '--level-s', '0.5', '--max-concurrency', '2', '--no-replay', '--no-report']);
      expect(r.stderr).not.toMatch(/fault/);
      expect(r.status).toBe(0);
      const res = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
      expect(res.meta.keystone.kind).toBe('real');
      expect(res.meta.keystone.local).toBe(true);
      expect(res.meta.keystone.cpuMeasurable).toBe(true);
      expect(res.meta.keystone.processes).toBeGreaterThan(0);
      for (const o of res.operations) {
        expect(o.cpuMsPerOp.mean).toBeGreaterThan(0);
        expect(o.cpuMsPerOp.batches).toBe(3);
        expect(o.curve[0].concurrency).toBe(1);
      }
      const secrets = [real.env.OS_PASSWORD, real.env.KEYSTONE_LOCAL_TRUSTOR_PASSWORD, real.env.OS_TRUST_ID].filter(Boolean);
      for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ...filesUnder(out)] as Array<[string, string]>) {
        for (const s of secrets) expect(text.includes(s), `${where} holds a secret`).toBe(false);
        // Fernet tokens are ~180–250 url-safe characters starting gAAAAA
        expect(text).not.toMatch(/gAAAAA[\w-]{100,}/);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
