// Result files are replaced atomically (src/results/write.ts): a write that fails at any step — half the data
// written, fsync, rename — leaves the previous file byte for byte and no temp file behind.
import * as realFs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../src/results/write.ts';

// Which fs call fails next (and how), for the module under test only: the mock wraps the real functions.
const inject = vi.hoisted(() => ({ fail: '' as '' | 'half-write' | 'fsync' | 'rename', renames: [] as Array<[string, string]> }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const io = (what: string) => Object.assign(new Error(`${what} (injected fault)`), { code: 'EIO' });
  const mocked = {
    ...fs,
    writeSync: ((fd: number, data: Uint8Array, ...rest: unknown[]) => {
      if (inject.fail !== 'half-write') return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
      fs.writeSync(fd, data.subarray(0, data.length >> 1)); // the disk fills up halfway
      throw Object.assign(new Error('ENOSPC: no space left on device (injected fault)'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync,
    fsyncSync: ((fd: number) => {
      if (inject.fail === 'fsync') throw io('fsync');
      return fs.fsyncSync(fd);
    }) as typeof fs.fsyncSync,
    renameSync: ((from: string, to: string) => {
      inject.renames.push([from, to]);
      if (inject.fail === 'rename') throw io('rename');
      return fs.renameSync(from, to);
    }) as typeof fs.renameSync,
  };
  return { ...mocked, default: mocked };
});

const dir = mkdtempSync(join(tmpdir(), 'kcb-atomic-'));
const target = join(dir, 'latest.json');
const previous = '{"previous":"complete results"}\n';
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  inject.fail = '';
  inject.renames = [];
  writeFileSync(target, previous);
});

describe('writeFileAtomic', () => {
  it('replaces the file through a temp file in the same directory (so rename is atomic), leaving no temp', () => {
    writeFileAtomic(target, '{"new":true}\n');
    expect(readFileSync(target, 'utf8')).toBe('{"new":true}\n');
    expect(inject.renames).toHaveLength(1);
    const [from, to] = inject.renames[0];
    expect(to).toBe(target);
    expect(dirname(from)).toBe(dir);
    expect(from).not.toBe(target);
    expect(readdirSync(dir)).toEqual(['latest.json']);
  });

  it.each(['half-write', 'fsync', 'rename'] as const)('a failure at %s leaves the previous file intact and no temp file', (fail) => {
    inject.fail = fail;
    const big = JSON.stringify({ samples: Array.from({ length: 5000 }, (_, i) => ({ n: i, rss: i * 1024 })) });
    expect(() => writeFileAtomic(target, big)).toThrow(/injected fault/);
    expect(readFileSync(target, 'utf8')).toBe(previous);
    expect(readdirSync(dir)).toEqual(['latest.json']);
  });

  it('creates missing directories (charts/) and writes binary data unchanged', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    writeFileAtomic(join(dir, 'charts', 'a.png'), png);
    expect(realFs.readFileSync(join(dir, 'charts', 'a.png')).equals(png)).toBe(true);
    rmSync(join(dir, 'charts'), { recursive: true });
  });
});

describe('every result file goes through writeFileAtomic', () => {
  it('no writer of results, exports or the report writes files directly', () => {
    const root = join(import.meta.dirname, '..');
    const files = ['bench/cli.ts', 'bench/report.ts',
      ...['src/report', 'src/report/charts', 'src/results'].flatMap((d) => readdirSync(join(root, d)).map((f) => `${d}/${f}`))]
      .filter((f) => f.endsWith('.ts') && f !== 'src/results/write.ts');
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      expect(text, f).not.toMatch(/\b(writeFileSync|writeFile|createWriteStream|appendFileSync)\s*\(/);
    }
  });
});
