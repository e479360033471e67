// What a result file says about where and how it was produced, so a published number can be traced to a
// command, a commit and a machine.
import { execFileSync } from 'node:child_process';
import { cpus, hostname, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Meta } from './schema.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export function gitCommit(): string {
  try {
    const cwd = new URL('../../', import.meta.url);
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    // "-dirty" when the code differs from the commit; the published results (results/) are outputs, not code
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)results'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function baseMeta(argv: string[], startedAt: Date): Omit<Meta, 'durationMs' | 'sizes' | 'trials' | 'keystone' | 'stores'> {
  return {
    tool: pkg.name,
    version: pkg.version,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${readOsRelease()}`.trim(),
    arch: process.arch,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    totalMemBytes: totalmem(),
    hostname: hostname(),
    commit: gitCommit(),
    command: ['npm run bench --', ...argv].join(' '),
    startedAt: startedAt.toISOString(),
  };
}

function readOsRelease(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}
