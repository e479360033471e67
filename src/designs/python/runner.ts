// Runs one sample of the python-keystoneclient reference design: a fresh `/usr/bin/python3 -u kc_worker.py`
// child (Debian's python, where python3-keystoneclient is installed; the pyenv python on PATH has no keystoneclient)
// gets the job as one JSON line on stdin, builds n clients, prints its reading, and holds the objects until we
// have read its RSS from outside (pidusage) and said "release". Every way it can fail — missing packages, an
// error line, a crash, a timeout — becomes a FailedSample whose one-line reason went through redact().
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rssOf, type SampleJob, type SampleOutcome } from '../../measure/runner.ts';
import type { Sample } from '../../results/schema.ts';
import { trackChild } from '../../util/processes.ts';
import { redact, registerSecret } from '../../util/redact.ts';

export const PYTHON = '/usr/bin/python3';
export const INSTALL_HINT = 'apt-get install -y python3-keystoneclient python3-keystoneauth1';
const WORKER = fileURLToPath(new URL('./kc_worker.py', import.meta.url));

export type PythonJob = SampleJob & {
  variant: 'constructed' | 'authenticated';
  /**
   * Run tracemalloc in the child and report Sample.tracemalloc. Default false: tracemalloc's own bookkeeping more
   * than doubles the RSS slope (measured ~101 vs ~42 KB/object) and slows the build ~5x, so a traced sample's
   * rss/pidusageRss are not the object's cost. Use traced samples as a separate python-heap cross-check.
   */
  trace?: boolean;
};

/** What kc_worker.py prints on stdout (one JSON line). */
interface PyReading {
  type: 'reading';
  rss: number;
  rss_baseline: number;
  tracemalloc: number | null;
  tracemalloc_baseline: number | null;
  /** growth of tracemalloc's own memory over the build: RSS that only exists because tracemalloc ran */
  tracemalloc_overhead: number | null;
  build_ms: number;
  tokens_seen: number;
  catalogs_seen: number;
}
type PyMessage = PyReading | { type: 'error'; message: string };

/**
 * A clean environment: no PYTHONPATH/PYTHONHOME from pyenv (they would break Debian's python), no user site
 * packages, and no credentials (those go over stdin). Proxy variables pass through, but never for loopback.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1' };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) if (process.env[k]) env[k] = process.env[k];
  const noProxy = [process.env.no_proxy ?? process.env.NO_PROXY, '127.0.0.1,localhost,::1'].filter(Boolean).join(',');
  env.no_proxy = env.NO_PROXY = noProxy;
  return env;
}

export async function runPythonSample(job: PythonJob): Promise<SampleOutcome> {
  const k = job.ctx.keystone;
  registerSecret(k.password); // whatever leaves this module is redacted against it
  const child = spawn(PYTHON, ['-u', WORKER], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
  const untrack = trackChild(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.stdin!.on('error', () => {
    /* the child died before reading: its exit explains why */
  });

  return new Promise<SampleOutcome>((resolve) => {
    let done = false;
    let reason: string | undefined;
    let outcome: SampleOutcome | undefined;
    const failure = (why: string): SampleOutcome => ({
      ok: false,
      failure: { n: job.n, trial: job.trial, reason: redact(why.split('\n')[0]).slice(0, 400) },
    });
    // Resolve only once the child has exited, so the caller never overlaps two samples' memory and the pid is gone.
    const finish = (o: SampleOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      resolve(o);
    };
    const timer = setTimeout(() => {
      reason = `timed out after ${Math.round(job.timeoutMs / 1000)} s`;
      child.kill('SIGKILL');
    }, job.timeoutMs);

    createInterface({ input: child.stdout! }).on('line', async (line) => {
      let msg: PyMessage;
      try {
        msg = JSON.parse(line);
      } catch {
        reason ??= 'python worker printed a non-protocol line on stdout';
        child.kill('SIGKILL');
        return;
      }
      if (msg.type === 'error') {
        reason = `python worker: ${msg.message}`;
        return; // it exits 1 by itself
      }
      if (msg.type !== 'reading' || outcome) return;
      // undefined when the child vanished meanwhile: the exit handler reports it
      const pidusageRss = (await rssOf(child.pid)) ?? NaN;
      const sample: Sample = { n: job.n, trial: job.trial, rss: msg.rss, pidusageRss, buildMs: Math.round(msg.build_ms) };
      if (typeof msg.tracemalloc === 'number') sample.tracemalloc = msg.tracemalloc;
      // distinct tokens the warm-up object and the n objects hold: what this sample cost Keystone
      if (typeof msg.tokens_seen === 'number') sample.tokens = msg.tokens_seen;
      outcome = { ok: true, sample };
      child.stdin!.end('release\n');
    });

    // 'close', not 'exit': it comes after stdout is drained, so an error line is never lost to a race.
    child.on('close', (code, signal) => {
      // A reading counts only if the child also exited cleanly afterwards.
      if (outcome && code === 0) return finish(outcome);
      if (reason) return finish(failure(reason));
      const tail = stderr.trim().split('\n').filter(Boolean).pop();
      const why = signal ? `python worker killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory, or stopped)' : ''}` : `python worker exited with code ${code}`;
      finish(failure(tail ? `${why}: ${tail.slice(0, 300)}` : why));
    });
    child.on('error', (err) => {
      reason = `cannot start ${PYTHON}: ${err.message}`;
      if (child.pid === undefined) finish(failure(reason)); // never spawned: no 'exit' will come
    });

    child.stdin!.write(
      JSON.stringify({
        auth_url: k.authUrl,
        username: k.username,
        password: k.password,
        user_domain_name: k.userDomainName,
        trust_ids: job.trustIds.slice(0, job.n + 1),
        n: job.n,
        variant: job.variant,
        trace: job.trace ?? false,
      }) + '\n',
    );
  });
}

/** Whether Debian's python can import the two packages, and their versions ("keystoneclient 5.0.1, keystoneauth1 5.0.0"). */
export async function pythonAvailability(): Promise<{ ok: true; version: string } | { ok: false; note: string }> {
  const probe = [
    'import sys, importlib.metadata as m',
    'import keystoneclient.v3.client, keystoneauth1',
    "print('python %d.%d.%d, python-keystoneclient %s, keystoneauth1 %s' % (sys.version_info[:3] + (m.version('python-keystoneclient'), m.version('keystoneauth1'))))",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 30_000, env: childEnv() });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, note: `${missing ? `${PYTHON} not found` : `cannot run ${PYTHON}: ${r.error.message}`}; install with: ${INSTALL_HINT}` };
  }
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.status}`;
    return { ok: false, note: `${PYTHON} cannot import keystoneclient/keystoneauth1 (${redact(last)}); install with: ${INSTALL_HINT}` };
  }
  return { ok: true, version: r.stdout.trim() };
}
