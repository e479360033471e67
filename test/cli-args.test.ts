import { mkdtempSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/cli/args.ts';
import { UsageError } from '../src/cli/errors.ts';
import { runScript } from './helpers/run-cli.ts';

const bad: Array<[string, string[], RegExp]> = [
  ['maxsize 0', ['--maxsize', '0'], /--maxsize must be at least 4/],
  ['negative maxsize', ['--maxsize', '-5'], /--maxsize must be at least 4/],
  ['fractional maxsize', ['--maxsize', '10.5'], /whole number/],
  ['non-numeric maxsize', ['--maxsize', 'lots'], /whole number/],
  ['absurd maxsize', ['--maxsize', '1000000000'], /too large: .* would need about .*TiB.*this machine has/],
  ['trials 0', ['--trials', '0'], /--trials must be at least 1/],
  ['unknown design', ['--designs', 'full-client,nope'], /unknown design "nope"; known: full-client/],
  ['unknown flag', ['--frobnicate'], /Unknown option '--frobnicate'/],
  ['steps too few', ['--steps', '3'], /--steps must be at least 5/],
  ['keystone url with credentials', ['--keystone-url', 'http://u:p@127.0.0.1:5000/v3'], /must not carry credentials/],
];

describe('bench CLI validation', () => {
  it.each(bad)('%s → UsageError', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrowError(UsageError);
    expect(() => parseBenchArgs(argv)).toThrowError(message);
  });

  it('refuses an --out that is a file or not writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-args-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => parseBenchArgs(['--out', file])).toThrowError(/is a file/);
    const ro = join(dir, 'ro');
    writeFileSync(join(dir, 'placeholder'), '');
    chmodSync(dir, 0o500);
    try {
      // root ignores permission bits; only assert where they apply
      if (process.getuid?.() !== 0) expect(() => parseBenchArgs(['--out', ro])).toThrowError(/cannot be created/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('has sensible defaults', () => {
    const o = parseBenchArgs([]);
    expect(o).not.toBe('help');
    if (o === 'help') return;
    expect(o.maxsize).toBe(10_000);
    expect(o.trials).toBeGreaterThanOrEqual(5);
    expect(o.steps).toBeGreaterThanOrEqual(5);
    expect(o.designs).toContain('full-client');
  });

  it('prints one line and exits 2 for bad input, with no stack trace and no file written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-cli-'));
    writeFileSync(join(dir, 'latest.json'), '{"keep":true}');
    const r = runScript('bench/cli.ts', ['--maxsize', 'ten', '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --maxsize must be a whole number/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe('{"keep":true}');
  });

  it('--help prints usage and exits 0', () => {
    const r = runScript('bench/cli.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run bench/);
    expect(r.stdout).toMatch(/--maxsize/);
  });
});
