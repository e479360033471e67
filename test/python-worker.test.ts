// The generic python worker (src/worker/python/worker.py) and the python designs, against the embedded stand-in
// with Debian's python3: --describe and its one-line problems, the sample protocol for every python design
// (ready → grow → grow → release) with the tokens each costs, what each design's entry really holds, the 64 KiB
// known answer, and the real Aodh notifier as the no-cache baseline.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { BASELINE, PYTHON, ROOT, WORKER, describeModule, grow, pyEnv, release, slope, startWorker, type PyCtx } from './helpers/py-worker.ts';
import { startMemcached } from './helpers/memcached.ts';
import { PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const probe = spawnSync(PYTHON, ['-c', 'import keystoneclient, keystoneauth1, aodh.notifier.trust, pymemcache'], { env: pyEnv() });
const haveMemcached = spawnSync('sh', ['-c', 'command -v memcached']).status === 0;
const ok = probe.status === 0 && haveMemcached;
if (!ok) console.warn('python worker tests skipped: apt-get install -y python3-keystoneclient python3-keystoneauth1 python3-aodh python3-pymemcache memcached');

const design = (f: string) => join(ROOT, 'src/designs', f);
const example = (f: string) => join(ROOT, 'examples', f);
const DESIGNS = {
  'python-keystoneclient': design('python_keystoneclient.py'),
  'aodh-trusted-client': design('aodh_trusted_client.py'),
  'aodh-session': design('aodh_session.py'),
  'aodh-session-nocatalog': design('aodh_session_nocatalog.py'),
  'aodh-shared-session': design('aodh_shared_session.py'),
  'python-token-record': design('python_token_record.py'),
  'python-auth-state': design('python_auth_state.py'),
  'example-python-payload': example('python_payload.py'),
  'example-python-token-only': example('python_token_only.py'),
};

describe.skipIf(!ok)('python worker: --describe', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kcb-pydesc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mod = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  const good = "ID = 'x'\nTITLE = 't'\nTOPOLOGY = 'per-worker'\n\ndef create(trust_id, ctx):\n    return 1\n\ndef token(entry, ctx):\n    return 't'\n";

  // every design in one interpreter, as the harness describes its built-ins: one line each, in order
  let together: string[];
  beforeAll(() => {
    const r = spawnSync(PYTHON, ['-u', WORKER, '--describe', ...Object.values(DESIGNS)], { encoding: 'utf8', env: pyEnv(), timeout: PROCESS_GUARD_MS });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    together = r.stdout.trim().split('\n');
  });

  it.each(Object.entries(DESIGNS).map(([id, path], i) => [id, path, i] as const))('describes %s', (id, path, i) => {
    expect(together).toHaveLength(Object.keys(DESIGNS).length);
    const json = JSON.parse(together[i]) as Record<string, unknown>;
    expect(json).toMatchObject({ id, topology: id === 'python-auth-state' ? 'shared' : 'per-worker' });
    expect(Object.keys(json).sort()).toEqual(['id', 'needs', 'planning_bytes_per_entry', 'requires', 'title', 'topology', 'what_if']);
    if (id === 'python-auth-state') expect(json.needs).toEqual(['memcached']);
    // alone, one module: the same line
    if (id === 'python-token-record') expect(describeModule(path).stdout.trim()).toBe(together[i]);
  });

  const problems: [string, string, RegExp][] = [
    ['missing export', good.replace(/def token[\s\S]*/, ''), /missing_export\.py: missing token/],
    ['missing ID and create', good.replace("ID = 'x'\n", '').replace(/def create\(trust_id, ctx\):\n {4}return 1\n/, ''), /missing ID, create/],
    ['syntax error', good.replace("TITLE = 't'", 'TITLE = (('), /syntax_error\.py: syntax error at line 2/],
    ['import error', 'import kcb_no_such_module_xyz\n' + good, /import_error\.py: import error: .*kcb_no_such_module_xyz/],
    ['bad topology', good.replace("'per-worker'", "'cluster'"), /bad_topology\.py: TOPOLOGY must be one of 'per-worker' or 'shared', not 'cluster'/],
    ['missing REQUIRES', "REQUIRES = ['kcb_absent_pkg']\n" + good, /missing_requires\.py: REQUIRES 'kcb_absent_pkg' does not import/],
    ['bad NEEDS', "NEEDS = ['etcd']\n" + good, /bad_needs\.py: NEEDS names unknown store\(s\) 'etcd'/],
    ['wrong type', good.replace("ID = 'x'", 'ID = 7'), /wrong_type\.py: ID must be a non-empty string, not int/],
    ['token not a function', good.replace(/def token[\s\S]*/, 'token = 3\n'), /token must be a function/],
  ];
  it.each(problems)('%s → one {"problem"} line naming the file, exit 1', (name, body, re) => {
    const r = describeModule(mod(name.toLowerCase().replace(/ /g, '_') + '.py', body));
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(Object.keys(JSON.parse(lines[0]))).toEqual(['problem']);
    expect(JSON.parse(lines[0]).problem).toMatch(re);
  });

  it('a missing file is a problem too', () => {
    const r = describeModule(join(dir, 'nope.py'));
    expect(r.status).toBe(1);
    expect(r.json!.problem).toMatch(/nope\.py: cannot read/);
  });
});

describe.skipIf(!ok)('python worker: sample protocol against the stand-in', () => {
  let s: StandIn;
  let mc: Awaited<ReturnType<typeof startMemcached>>;
  let ctx: PyCtx;
  let next = 0;
  const fresh = (k: number) => s.createTrusts(k);
  beforeAll(async () => {
    s = await startStandIn({ services: 13, trusts: 0, recordTokens: true });
    mc = await startMemcached();
    ctx = {
      auth_url: s.authUrl,
      username: s.trustee.username,
      password: s.trustee.password,
      user_domain_name: s.trustee.userDomainName,
      timeout_s: 10,
      retries: 1,
      stores: { memcached: { socket_path: mc.socketPath, key_prefix: 'kcb:test:' } },
    };
  });
  afterAll(async () => {
    mc?.stop();
    await s?.close();
  });
  const noSecrets = (text: string) => {
    expect(text).not.toContain(s.trustee.password);
    for (const t of s.issuedTokens()) expect(text).not.toContain(t);
  };

  it.each(Object.entries(DESIGNS))('%s: ready, grow 5, grow 5, release; one token per new trust', async (id, path) => {
    const ids = fresh(11);
    const t0 = s.tokensIssued();
    const { w, ready } = await startWorker({ module: path, ctx, warmupTrustId: ids[0], capacity: 10 });
    let out = JSON.stringify(ready);
    expect(ready.type, JSON.stringify(ready) + w.stderr).toBe('ready');
    expect(ready.memory.rss).toBeGreaterThan(1e6);
    expect(ready.memory.tracemalloc).toBeUndefined(); // only the cross-check worker traces
    expect(ready.memory.pymalloc_arenas).toBeGreaterThan(0); // the allocators' own count instead
    expect(ready.memory.malloc_held).toBeGreaterThan(0);
    expect(s.tokensIssued() - t0).toBe(1); // K = 1 warm-up create (+ one token() that must not re-authenticate)
    const r1 = await grow(w, ids.slice(1, 6));
    const r2 = await grow(w, ids.slice(6, 11));
    out += JSON.stringify(r1) + JSON.stringify(r2);
    expect([r1.type, r2.type]).toEqual(['reading', 'reading']);
    expect([r1.n, r2.n]).toEqual([5, 10]);
    expect(r2.memory.rss).toBeGreaterThan(0);
    expect(r1.build_ms).toBeGreaterThan(0);
    expect(s.tokensIssued() - t0).toBe(11);
    expect(r2.auth_requests).toBe(11); // every POST /auth/tokens the process sent
    const usesCtx = ['python-token-record', 'example-python-payload', 'example-python-token-only'].includes(id);
    expect(r2.tokens).toBe(usesCtx ? 11 : 0);
    expect(await release(w)).toBe(0);
    noSecrets(out + w.stderr);
  });

  it('python-auth-state: a second worker sharing memcached gets the tokens without authenticating', async () => {
    const ids = fresh(6);
    const a = await startWorker({ module: DESIGNS['python-auth-state'], ctx, warmupTrustId: ids[0], capacity: 5 });
    expect((await grow(a.w, ids.slice(1))).n).toBe(5);
    await release(a.w);
    const t0 = s.tokensIssued();
    const b = await startWorker({ module: DESIGNS['python-auth-state'], ctx, warmupTrustId: ids[0], capacity: 5 });
    const r = await grow(b.w, ids.slice(1));
    expect(r.n).toBe(5);
    expect(s.tokensIssued() - t0).toBe(0);
    expect(r.auth_requests).toBe(0);
    await release(b.w);
  });

  it('trace: true reports tracemalloc bytes', async () => {
    const ids = fresh(4);
    const { w, ready } = await startWorker({ module: DESIGNS['python-token-record'], ctx, warmupTrustId: ids[0], capacity: 3, trace: true });
    expect(ready.memory.tracemalloc).toBeGreaterThan(0);
    const r = await grow(w, ids.slice(1));
    expect(r.memory.tracemalloc).toBeGreaterThan(ready.memory.tracemalloc);
    await release(w);
  });

  it('a wrong password is one scrubbed setup error line and exit 1', async () => {
    const ids = fresh(1);
    const { w, ready } = await startWorker({ module: DESIGNS['python-token-record'], ctx: { ...ctx, password: 'Wr0ng-S3cret-pw' }, warmupTrustId: ids[0], capacity: 1 });
    expect(ready).toMatchObject({ type: 'error', setup: true });
    expect(ready.message).toMatch(new RegExp(`Keystone answered 401 \\(trust ${ids[0].slice(0, 8)}…\\)`));
    expect(ready.message).not.toContain(ids[0]);
    expect(await w.closed).toBe(1);
    expect(JSON.stringify(ready) + w.stderr).not.toContain('Wr0ng-S3cret-pw');
  });

  it('a failure after growing started says setup: false', async () => {
    const ids = fresh(3);
    const { w, ready } = await startWorker({ module: DESIGNS['python-token-record'], ctx, warmupTrustId: ids[0], capacity: 2 });
    expect(ready.type).toBe('ready');
    s.deleteTrust(ids[2]);
    const r = await grow(w, ids.slice(1, 3));
    expect(r).toMatchObject({ type: 'error', setup: false });
    expect(r.message).toMatch(/401/);
    expect(await w.closed).toBe(1);
  });

  // What each entry really holds, inspected in a python process that loads the design like the worker does.
  // async: the stand-in runs in this process, a spawnSync would block it
  const inspect = async (path: string, trustId: string, code: string) => {
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'src/worker/python'))})`,
      'import worker, kcb_context',
      'job = json.loads(sys.stdin.readline())',
      'mod, _ = worker.load_design(job["module"])',
      'ctx = kcb_context.Context(job["ctx"])',
      'e = mod.create(job["trust_id"], ctx)',
      'tok = mod.token(e, ctx)',
      code,
    ].join('\n');
    const c = spawn(PYTHON, ['-c', script], { env: pyEnv() });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b) => (stdout += b));
    c.stderr.on('data', (b) => (stderr += b));
    c.stdin.end(JSON.stringify({ module: path, ctx, trust_id: trustId }) + '\n');
    const code2 = await new Promise((r) => c.on('close', r));
    expect(code2, stderr).toBe(0);
    return JSON.parse(stdout.trim().split('\n').pop()!);
  };

  it('aodh-trusted-client holds a trust-scoped token and the catalog; token() is the held token', async () => {
    const [tid] = fresh(1);
    const t0 = s.tokensIssued();
    const got = await inspect(DESIGNS['aodh-trusted-client'], tid, [
      'a = e.session.auth.get_access(e.session)',
      'worker.emit(({"cls": type(e).__module__ + "." + type(e).__name__, "trust": a.trust_id, "catalog": len(a.service_catalog.catalog), "same": a.auth_token == tok, "plugin": type(e.session.auth).__module__}))',
    ].join('\n'));
    expect(got).toEqual({ cls: 'keystoneclient.v3.client.Client', trust: tid, catalog: 13, same: true, plugin: 'keystoneauth1.identity.generic.password' });
    expect(s.tokensIssued() - t0).toBe(1);
  });

  it('aodh-session holds a trust-scoped token and the catalog in a keystoneauth Session', async () => {
    const [tid] = fresh(1);
    const got = await inspect(DESIGNS['aodh-session'], tid, [
      'a = e.auth.get_access(e)',
      'worker.emit(({"cls": type(e).__module__ + "." + type(e).__name__, "trust": a.trust_id, "catalog": len(a.service_catalog.catalog), "same": a.auth_token == tok}))',
    ].join('\n'));
    expect(got).toEqual({ cls: 'keystoneauth1.session.Session', trust: tid, catalog: 13, same: true });
  });

  it('python-keystoneclient holds a trust-scoped token and the catalog', async () => {
    const [tid] = fresh(1);
    const got = await inspect(DESIGNS['python-keystoneclient'], tid, 'worker.emit(({"trust": e.auth_ref.trust_id, "catalog": len(e.auth_ref["catalog"]), "same": e.auth_ref.auth_token == tok}))');
    expect(got).toEqual({ trust: tid, catalog: 13, same: true });
  });

  it('python-token-record entries hold no catalog: three small slots, nothing else', async () => {
    const [tid] = fresh(1);
    const got = await inspect(DESIGNS['python-token-record'], tid, [
      'import gc',
      'refs = gc.get_referents(e)',
      'worker.emit(({"slots": list(type(e).__slots__), "has_dict": hasattr(e, "__dict__"), "trust": e.trust_id == job["trust_id"], "same": e.token == tok, "bytes": sum(sys.getsizeof(r) for r in refs if not isinstance(r, type)) + sys.getsizeof(e)}))',
    ].join('\n'));
    expect(got.slots).toEqual(['trust_id', 'token', 'expires_at']);
    expect(got).toMatchObject({ has_dict: false, trust: true, same: true });
    expect(got.bytes).toBeLessThan(600);
  });

  it('example-python-payload minus example-python-token-only = 65,536 B/entry within 3 % (n up to 2000)', async () => {
    const sizes = [0, 500, 1000, 1500, 2000];
    const ids = fresh(2001);
    const slopeOf = async (path: string) => {
      const { w, ready } = await startWorker({ module: path, ctx, warmupTrustId: ids[0], capacity: 2000 });
      const xs = [0];
      const ys = [ready.memory.rss];
      for (let i = 1; i < sizes.length; i++) {
        const r = await grow(w, ids.slice(1 + sizes[i - 1], 1 + sizes[i]));
        xs.push(r.n);
        ys.push(r.memory.rss);
      }
      await release(w);
      return slope(xs, ys);
    };
    const payload = await slopeOf(DESIGNS['example-python-payload']);
    const only = await slopeOf(DESIGNS['example-python-token-only']);
    const diff = payload.slope - only.slope;
    console.log(`python known answer: payload ${payload.slope.toFixed(0)} B/entry (R² ${payload.r2.toFixed(5)}), token only ${only.slope.toFixed(0)}, difference ${diff.toFixed(0)} B/entry (expected 65536)`);
    expect(Math.abs(diff - 65536) / 65536).toBeLessThan(0.03);
    expect(payload.r2).toBeGreaterThan(0.999);
  });

  it('the real Aodh notifier (no cache): K = 20 notifications → 20 POSTs with X-Auth-Token, one token each', async () => {
    const ids = fresh(5);
    const t0 = s.tokensIssued();
    const c = spawn(PYTHON, ['-u', BASELINE], { env: pyEnv() });
    let out = '';
    let err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.stdin.end(JSON.stringify({ ...ctx, trust_ids: ids, notifications: 20 }) + '\n');
    const code = await new Promise((r) => c.on('close', r));
    expect(code, err).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const res = JSON.parse(lines[0]);
    expect(res).toMatchObject({ type: 'result', notifications: 20, received: 20, with_token: 20, auth_requests: 20 });
    expect(res.http_requests).toEqual({ 'GET /v3': 20, 'POST /alarm': 20, 'POST /v3/auth/tokens': 20 });
    expect(s.tokensIssued() - t0).toBe(20); // 1 token per notification (plus one discovery GET)
    expect(res.per_notification_ms).toBeGreaterThan(0);
    noSecrets(out + err);
  });

  it('worker.py with unexpected argv prints one problem line', () => {
    const r = spawnSync(PYTHON, ['-u', WORKER, 'x', 'y'], { env: pyEnv(), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toHaveProperty('problem');
  });
});
