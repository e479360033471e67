// The in-process token path (--token-path in-process, the default with the stand-in): the stand-in's issuer run
// inside a worker must hand a client exactly what the HTTP stand-in sends (the same bytes, the same errors), and
// an entry built from it must cost what one built over HTTP costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, KeystoneError, type AuthTarget } from '../src/keystone/auth.ts';
import { inProcessPost } from '../src/keystone/in-process-post.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { tokenDocs, tokenDocument } from '../src/keystone/token-doc.ts';
import { pyJson } from '../src/keystone/py-json.ts';
import { readResults } from '../src/results/read.ts';
import type { Results } from '../src/results/schema.ts';
import { runScript } from './helpers/run-cli.ts';

let ks: StandIn;
let target: AuthTarget;
beforeAll(async () => {
  ks = await startStandIn({ trusts: 3 });
  target = { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' };
});
afterAll(() => ks.close());

describe('token documents from templates', () => {
  it('are byte for byte what serialising the document gives, for trust and project scope, with and without catalog', () => {
    const render = tokenDocs(ks.identity);
    const cases = [
      { userId: ks.identity.trustee.id, trustId: 'a'.repeat(32), expiresAt: Date.UTC(2026, 10, 26, 12, 0, 0, 731), auditId: 'Q'.repeat(22) },
      { userId: ks.identity.trustor.id, expiresAt: Date.UTC(2027, 0, 1), auditId: 'x_y-z'.repeat(4) + 'ab' },
    ];
    for (const t of cases) {
      const doc = pyJson(tokenDocument(ks.identity, t));
      expect(render(t, true).join('')).toBe(`${doc.slice(0, -2)}, "catalog": ${ks.identity.catalogJson}}}`);
      expect(render(t, false).join('')).toBe(doc);
    }
  });
});

describe('the in-process issuer answers as the HTTP stand-in does', () => {
  const post = () => inProcessPost({ identity: ks.identity }, ks.trustee.password);

  it('a trust-scoped token: same token length, same body length, same document but for its own values', async () => {
    const http = await authenticate(target, { trustId: ks.trustIds[0], text: true });
    const local = await authenticate(target, { trustId: ks.trustIds[0], text: true, post: post() });
    expect(local.tokenId).toHaveLength(http.tokenId.length);
    expect(local.tokenId).not.toBe(http.tokenId);
    expect(Buffer.byteLength(local.text!)).toBe(Buffer.byteLength(http.text!));
    const strip = (b: any) => ({ ...b.token, audit_ids: undefined, expires_at: undefined, issued_at: undefined });
    expect(strip(local.body)).toEqual(strip(http.body));
    expect(Math.abs(local.expiresAt - http.expiresAt)).toBeLessThan(5000);
  });

  it('?nocatalog leaves the catalog out, and a project scope works', async () => {
    const bare = await authenticate(target, { trustId: ks.trustIds[1], nocatalog: true, text: true, post: post() });
    expect(bare.body.token.catalog).toBeUndefined();
    const project = await authenticate(target, { project: { name: 'bench', domainName: 'Default' }, post: post() });
    expect(project.tokenId).toHaveLength(183);
    expect(project.body.token.catalog).toHaveLength(13);
  });

  it('401 for a wrong password and for a trust id Keystone could not have issued', async () => {
    const wrong = await authenticate({ ...target, password: 'wrong' }, { trustId: ks.trustIds[0], post: post() }).catch((e) => e);
    expect(wrong).toBeInstanceOf(KeystoneError);
    expect(wrong.kind).toBe('unauthorized');
    const bad = await authenticate(target, { trustId: 'not-a-trust', post: post() }).catch((e) => e);
    expect(bad.kind).toBe('unauthorized');
    expect(bad.message).not.toContain(ks.trustee.password);
  });
});

describe('an entry costs the same whichever path its token took (token-record, N = 600)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kcb-token-path-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const runs = new Map<string, Results>();
  beforeAll(() => {
    for (const path of ['in-process', 'http']) {
      const out = join(tmp, path);
      const res = runScript('bench/cli.ts', ['--designs', 'token-record', '--maxsize', '600', '--steps', '7', '--trials', '2', '--min-trials', '2',
        '--snapshot-n', '0', '--no-latency', '--no-report', '--quiet', '--token-path', path, '--out', out]);
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      runs.set(path, readResults(join(out, 'latest.json')));
    }
  });

  it('records the path in the meta, and counts every token either way', () => {
    for (const [path, r] of runs) {
      expect(r.meta.keystone.tokenPath).toBe(path);
      // 2 trials × (500 warm-up + 600 entries)
      expect(r.designs[0].tokensIssued).toBe(2 * 1100);
    }
  });

  it('heap slopes agree within 1 %', () => {
    const slope = (p: string) => runs.get(p)!.designs[0].perObject.heapUsed!.bytes;
    expect(Math.abs(slope('in-process') - slope('http')) / slope('http')).toBeLessThan(0.01);
  });
});
