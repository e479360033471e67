// Measures the python designs through src/worker/python/worker.py against the embedded stand-in: per-entry RSS
// slope over n = 0..max (one worker per trial, grown in steps), open fds/sockets per entry (read from /proc from
// outside), build ms per entry, stand-in tokens per entry; then the real Aodh notifier baseline's tokens per
// notification. Starts a private memcached (unix socket, 0700 dir) for designs that NEED it and stops it by pid.
// Usage: node --import tsx scripts/measure-python.ts [--max 2000] [--steps 4] [--trials 2] [--notifications 20] [files…]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startStandIn } from '../src/keystone/standin.ts';
import { startMemcached } from '../test/helpers/memcached.ts';
import { BASELINE, PYTHON, ROOT, describeModule, grow, pyEnv, release, slope, startWorker, type PyCtx } from '../test/helpers/py-worker.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const MAX = opt('--max', 2000);
const STEPS = opt('--steps', 4);
const TRIALS = opt('--trials', 2);
const K = opt('--notifications', 20);
const files = args.length
  ? args
  : ['python_keystoneclient', 'aodh_trusted_client', 'aodh_session', 'python_token_record', 'python_auth_state'].map((d) => join(ROOT, `src/designs/${d}.py`))
      .concat([join(ROOT, 'examples/python_token_only.py'), join(ROOT, 'examples/python_payload.py')]);

const s = await startStandIn({ services: 13, trusts: 0 });
const trustIds = s.createTrusts(MAX + 1);
const ctxBase = { auth_url: s.authUrl, username: s.trustee.username, password: s.trustee.password, user_domain_name: s.trustee.userDomainName, timeout_s: 10, retries: 2 };
const sizes = Array.from({ length: STEPS + 1 }, (_, i) => Math.round((MAX * i) / STEPS));
const summary: Record<string, unknown>[] = [];
try {
  for (const file of files) {
    const d = describeModule(file);
    if (d.status !== 0 || !d.json) {
      console.error(`${file}: ${d.stdout.trim()}`);
      continue;
    }
    const id = d.json.id as string;
    const xs: number[] = [];
    const ys: number[] = [];
    const slopes: number[] = [];
    let fdSlope = 0, sockSlope = 0, msPerEntry = 0, tokPerEntry = 0, postsPerEntry = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const mc = (d.json.needs as string[]).includes('memcached') ? await startMemcached() : undefined;
      const stores: NonNullable<PyCtx['stores']> = mc ? { memcached: { socket_path: mc.socketPath, key_prefix: `kcb:${id}:` } } : {};
      try {
        const tok0 = s.tokensIssued();
        const { w, ready } = await startWorker({ module: file, ctx: { ...ctxBase, stores }, warmupTrustId: trustIds[0], capacity: MAX });
        if (ready.type !== 'ready') throw new Error(`${id}: ${JSON.stringify(ready)} ${w.stderr.slice(-500)}`);
        const tx = [0], ty = [ready.memory.rss as number];
        const f0 = w.fds();
        const tokAfterWarm = s.tokensIssued();
        let built = 0, ms = 0, posts0 = -1, posts1 = 0;
        for (const n of sizes.slice(1)) {
          const r = await grow(w, trustIds.slice(1 + built, 1 + n));
          if (r.type !== 'reading') throw new Error(`${id}: ${JSON.stringify(r)} ${w.stderr.slice(-500)}`);
          ms += r.build_ms;
          if (posts0 < 0) posts0 = r.auth_requests - (n - built);
          posts1 = r.auth_requests;
          built = n;
          tx.push(n);
          ty.push(r.memory.rss);
        }
        const f1 = w.fds();
        const tokens = s.tokensIssued() - tokAfterWarm;
        await release(w);
        const fit = slope(tx, ty);
        slopes.push(fit.slope);
        xs.push(...tx);
        ys.push(...ty);
        fdSlope += (f1.fds - f0.fds) / MAX / TRIALS;
        sockSlope += (f1.sockets - f0.sockets) / MAX / TRIALS;
        msPerEntry += ms / MAX / TRIALS;
        tokPerEntry += tokens / MAX / TRIALS;
        postsPerEntry += (posts1 - posts0) / MAX / TRIALS;
        console.error(`${id} trial ${trial}: rss ${tx.map((x, i) => `${x}:${(ty[i] / 1048576).toFixed(1)}MB`).join(' ')} slope ${fit.slope.toFixed(0)} B/entry R² ${fit.r2.toFixed(4)} fds +${f1.fds - f0.fds} (ready ${f0.fds}) warm-up tokens ${tokAfterWarm - tok0}`);
      } finally {
        mc?.stop();
      }
    }
    const all = slope(xs, ys);
    summary.push({ id, slope_mean: Math.round(slopes.reduce((a, b) => a + b, 0) / slopes.length), slopes: slopes.map(Math.round), r2_all: +all.r2.toFixed(4), fds_per_entry: +fdSlope.toFixed(3), sockets_per_entry: +sockSlope.toFixed(3), build_ms_per_entry: +msPerEntry.toFixed(3), standin_tokens_per_entry: +tokPerEntry.toFixed(3), auth_posts_per_entry: +postsPerEntry.toFixed(3) });
  }
  // the real notifier, no cache
  const t0 = s.tokensIssued();
  const c = spawn(PYTHON, ['-u', BASELINE], { env: pyEnv() });
  let out = '';
  c.stdout.on('data', (b) => (out += b));
  c.stdin.end(JSON.stringify({ ...ctxBase, trust_ids: trustIds.slice(1, 11), notifications: K }) + '\n');
  await new Promise((r) => c.on('close', r));
  const res = JSON.parse(out);
  const tokens = s.tokensIssued() - t0;
  summary.push({ id: 'aodh-notifier-baseline', ...res, standin_tokens: tokens, tokens_per_notification: tokens / K, type: undefined });
} finally {
  await s.close();
}
console.log(JSON.stringify({ max: MAX, sizes, trials: TRIALS, summary }, null, 1));
