// One flag syntax for every command (src/cli/flags.ts): a negative number is a value to validate, never "argument
// is ambiguous"; a flag given twice is refused, never silently the last one.
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/cli/args.ts';
import { parseCompareArgs } from '../src/cli/compare-args.ts';
import { UsageError } from '../src/cli/errors.ts';
import { parseFlags } from '../src/cli/flags.ts';
import { runScript } from './helpers/run-cli.ts';

describe('parseFlags', () => {
  const options = { n: { type: 'string' }, quiet: { type: 'boolean' }, mod: { type: 'string', multiple: true } } as const;

  it('takes a negative number after a flag as its value, in every spelling', () => {
    for (const v of ['-5', '-0.5', '-.5', '-1e3']) expect(parseFlags(['--n', v], options).values.n, v).toBe(v);
  });

  it.each([
    [['--n', '1', '--n', '2'], /^--n is given 2 times; give it once$/],
    [['--n=1', '--n', '-2'], /^--n is given 2 times; give it once$/],
    [['--quiet', '--quiet'], /^--quiet is given 2 times; give it once$/],
    [['--quiet', '--no-quiet'], /^--quiet is given 2 times \(--quiet, --no-quiet\); give it once$/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv, options)).toThrowError(UsageError);
    expect(() => parseFlags(argv, options)).toThrowError(message);
  });

  it('lets a repeatable flag repeat', () => {
    expect(parseFlags(['--mod', 'a', '--mod', 'b'], options).values.mod).toEqual(['a', 'b']);
  });
});

describe('every command', () => {
  it('bench: a flag given twice is refused', () => {
    expect(() => parseBenchArgs(['--maxsize', '100', '--maxsize', '200'])).toThrowError(/^--maxsize is given 2 times; give it once$/);
  });

  it('compare: a negative threshold is a bad value, not an ambiguous argument; a flag given twice is refused', () => {
    expect(() => parseCompareArgs(['a.json', 'b.json', '--threshold', '-5'])).toThrowError(/^--threshold needs a percentage ≥ 0 \(got "-5"\)$/);
    expect(() => parseCompareArgs(['a.json', 'b.json', '--json', '--json'])).toThrowError(/^--json is given 2 times; give it once$/);
  });

  it.each([
    ['compare', 'bench/compare.ts', ['a.json', 'b.json', '--fail-on-regression', '-1'], /^error: --fail-on-regression needs a percentage ≥ 0 \(got "-1"\)$/],
    ['report', 'bench/report.ts', ['--in', 'a.json', '--in', 'b.json'], /^error: --in is given 2 times; give it once$/],
    ['plan', 'bench/plan.ts', ['--alarms', '10', '--alarms', '20'], /^error: --alarms is given 2 times; give it once$/],
  ])('%s: one line, exit 2', (_name, script, argv, message) => {
    const res = runScript(script, argv);
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trimEnd()).toMatch(message);
  });
});
