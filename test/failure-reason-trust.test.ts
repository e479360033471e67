// A node design that puts its trust id into an error: the failure reason names the trust by its first 8
// characters only, as python's do, in every output of the run (JSON, CSV, Markdown, HTML, charts, stdout, stderr).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/results/schema.ts';
import { startScript, type Finished } from './helpers/procs.ts';
import { filesUnder, leaks, readDump, type Dumped } from './helpers/secrets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-trust-cut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a node design whose error carries the whole trust id', () => {
  const out = join(tmp, 'out');
  const dumpFile = join(tmp, 'issued.json');
  let res: Finished;
  let dump: Dumped;

  beforeAll(async () => {
    const mod = join(tmp, 'leaky.ts');
    writeFileSync(mod, `export default {
  id: 'leaky-node', title: 'throws with its trust id', topology: 'per-worker',
  async open(ctx) {
    return {
      async create(trustId) {
        await ctx.authenticate(trustId, { catalog: false });
        throw new Error('no entry for trust ' + trustId + ' (trust_id=' + trustId + ')');
      },
      token: async (e) => e, close: async () => {},
    };
  },
};
`);
    res = await startScript('bench/cli.ts', ['--design-module', mod, '--designs', 'leaky-node', '--maxsize', '8', '--steps', '3',
      '--trials', '1', '--min-trials', '1', '--snapshot-n', '0', '--no-latency', '--out', out],
    { env: { KCB_TEST_DUMP_TOKENS: dumpFile } }).done;
    dump = readDump(dumpFile);
  });

  it('fails the sample with a reason that names the trust by 8 characters', () => {
    expect(res.status).toBe(1);
    const r = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Results;
    const d = r.designs.find((x) => x.id === 'leaky-node')!;
    expect(d.failures).toHaveLength(1);
    const reason = d.failures[0].reason;
    const shown = /no entry for trust ([0-9a-f]+)… \(trust_id=([0-9a-f]+)…\)/.exec(reason);
    expect(shown, reason).not.toBeNull();
    expect(shown![1]).toHaveLength(8);
    expect(dump.trustIds.some((t) => t.startsWith(shown![1]))).toBe(true);
    expect(res.stderr).toContain(`no entry for trust ${shown![1]}…`);
  });

  it('leaves no whole trust id, token or password in any output', () => {
    expect(dump.trustIds.length).toBeGreaterThan(8);
    const texts: Array<[string, string]> = [...filesUnder(out), ['stdout', res.stdout], ['stderr', res.stderr]];
    expect(texts.map(([n]) => n)).toEqual(expect.arrayContaining(['latest.json', 'samples.csv', 'summary.md', 'index.html', 'README.md']));
    expect(leaks(texts, dump)).toEqual([]);
  });
});
