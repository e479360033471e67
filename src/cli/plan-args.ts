// Flags of `npm run plan`: a deployment (starting from a scenario's preset), the results file and the output
// format. Every mistake is a one-line UsageError (exit 2 through runMain).
import { DEFAULT_SCENARIO, PRESETS, MIB, type Deployment } from '../model/planner.ts';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../model/decision.ts';
import { SCENARIO_NAMES, SCENARIO_TEXT } from '../model/scenarios.ts';
import { UsageError } from './errors.ts';
import { int, num, oneOf, parseFlags } from './flags.ts';

export const DEFAULT_RESULTS = 'results/latest.json';
export const DEFAULT_KEYSTONE = 'results/keystone-load/latest.json';

export interface PlanArgs {
  help: boolean;
  deployment: Deployment;
  in: string;
  /** the designs the table lists and the recommendation is chosen from */
  runtime: RuntimeChoice;
  format: 'text' | 'json' | 'markdown';
  /** Keystone's measured costs: the file, whether it was asked for (a missing default is no error), and capacity */
  keystone: { path: string; explicit: boolean; cores?: number; hosts: number; tickWindowS: number };
}

const P = PRESETS.post;

export const PLAN_HELP = `usage: npm run plan -- [options]

For each design measured in a results file: tokens/day, validations/day at the receiving API, cache memory per
notifier worker, whether it fits a per-worker budget, and which design to pick for the deployment.

  --scenario S           preset: ${SCENARIO_NAMES.map((s) => `${s} (${SCENARIO_TEXT[s]})`).join(' | ')}
                         (default ${DEFAULT_SCENARIO}); the flags below override the preset
  --alarms N             alarms (default ${P.alarms})
  --trust-share F        share of alarms with trust+ actions, 0..1: only they mint tokens (default ${P.trustShare})
  --trusts N             post scenario only: trusts the alarms share (default ${P.trusts}); trust-per-alarm: one per alarm
  --firing F             share of alarms firing per evaluation, 0..1 (default ${P.firingFraction})
  --interval S           evaluation interval, seconds (default ${P.evaluationIntervalS})
  --hosts N              notifier hosts (default ${P.hosts})
  --workers-per-host N   notifier workers per host (default ${P.workersPerHost})
  --budget-mb MB         cache memory budget per worker, MB = 1024 KB (default ${P.budgetBytes / MIB})
  --token-lifetime S     token lifetime, seconds (default ${P.tokenLifetimeS}; re-minted ${P.refreshMarginS} s before expiry, keystoneauth)
  --runtime R            python | node | any (default any): the designs listed and recommended; python is
                         what a python service such as Aodh can adopt (--json: \`recommendation\` for R,
                         \`recommendations\` for every runtime)
  --in PATH              results file (default ${DEFAULT_RESULTS})
  --keystone FILE        Keystone's measured costs from npm run keystone-load (default ${DEFAULT_KEYSTONE}
                         when present): Keystone cores per design (average, evaluation tick, notifier restart);
                         a design that overloads Keystone is not recommended
  --keystone-cores N     cores Keystone has in all (default: the measured capacity × CPU per token × hosts)
  --keystone-hosts N     Keystone hosts like the measured one (default 1)
  --tick-window S        seconds within which one evaluation tick's tokens should be served (default 10)
  --json | --markdown    machine-readable / Markdown output instead of the terminal table
  --help                 this text

Memory per worker: per-worker designs = entries a worker caches in a day × the design's headline bytes; shared
designs = the in-process handle × those entries, plus the store's bytes per key × keys alive, paid once (not in
the worker budget). Recommendation: the fewest tokens/day among the designs that fit; ties by memory per worker.
A design whose per-entry figure is not resolved is listed as such and never recommended.
`;

const STRINGS = ['scenario', 'alarms', 'trust-share', 'trusts', 'firing', 'interval', 'hosts', 'workers-per-host', 'budget-mb',
  'token-lifetime', 'in', 'runtime', 'keystone', 'keystone-cores', 'keystone-hosts', 'tick-window'] as const;

export function parsePlanArgs(argv: string[]): PlanArgs {
  const { values } = parseFlags(argv, {
    ...Object.fromEntries(STRINGS.map((k) => [k, { type: 'string' as const }])),
    json: { type: 'boolean' as const }, markdown: { type: 'boolean' as const }, help: { type: 'boolean' as const },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const s = (k: string) => v[k] as string | undefined;
  const scenario = oneOf('scenario', s('scenario'), SCENARIO_NAMES) ?? DEFAULT_SCENARIO;
  const preset = PRESETS[scenario];
  const runtime = oneOf('runtime', s('runtime'), RUNTIME_CHOICES) ?? 'any';
  const ksDefault = { path: DEFAULT_KEYSTONE, explicit: false, hosts: 1, tickWindowS: 10 };
  if (v.help) return { help: true, deployment: { ...preset }, in: DEFAULT_RESULTS, runtime, format: 'text', keystone: ksDefault };
  if (v.json && v.markdown) throw new UsageError('--json and --markdown: choose one');

  const share = (flag: string, def: number) => {
    const x = num(flag, s(flag)) ?? def;
    if (!(x >= 0 && x <= 1)) throw new UsageError(`--${flag} must be within 0..1, got ${s(flag)}`);
    return x;
  };
  const positive = (flag: string, def: number) => {
    const x = num(flag, s(flag)) ?? def;
    if (!(Number.isFinite(x) && x > 0)) throw new UsageError(`--${flag} must be > 0, got ${s(flag)}`);
    return x;
  };
  if (s('trusts') !== undefined && scenario !== 'post') {
    throw new UsageError(`--trusts applies to the post scenario only: with ${scenario}, trusts = alarms × trust share`);
  }
  const tokenLifetimeS = positive('token-lifetime', preset.tokenLifetimeS);
  if (!(tokenLifetimeS > preset.refreshMarginS)) {
    throw new UsageError(`--token-lifetime must be longer than the ${preset.refreshMarginS} s refresh margin, got ${s('token-lifetime')}`);
  }
  const deployment: Deployment = {
    scenario,
    alarms: int('alarms', s('alarms'), preset.alarms, 0),
    trustShare: share('trust-share', preset.trustShare),
    ...(scenario === 'post' ? { trusts: int('trusts', s('trusts'), preset.trusts ?? 1, 1) } : {}),
    firingFraction: share('firing', preset.firingFraction),
    evaluationIntervalS: positive('interval', preset.evaluationIntervalS),
    hosts: int('hosts', s('hosts'), preset.hosts, 1, 100_000),
    workersPerHost: int('workers-per-host', s('workers-per-host'), preset.workersPerHost, 1, 100_000),
    budgetBytes: positive('budget-mb', preset.budgetBytes / MIB) * MIB,
    tokenLifetimeS,
    refreshMarginS: preset.refreshMarginS,
  };
  const path = s('in') ?? DEFAULT_RESULTS;
  if (path === '') throw new UsageError('--in needs a path');
  if (s('keystone') === '') throw new UsageError('--keystone needs a path');
  const keystone = {
    path: s('keystone') ?? DEFAULT_KEYSTONE, explicit: s('keystone') !== undefined,
    ...(s('keystone-cores') !== undefined ? { cores: positive('keystone-cores', 1) } : {}),
    hosts: int('keystone-hosts', s('keystone-hosts'), 1, 1, 100_000),
    tickWindowS: positive('tick-window', 10),
  };
  return { help: false, deployment, in: path, runtime, format: v.json ? 'json' : v.markdown ? 'markdown' : 'text', keystone };
}
