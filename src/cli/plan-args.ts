// Flags of `npm run plan`: a deployment (starting from a scenario's preset), the results file and the output
// format. Every mistake is a one-line UsageError (exit 2 through runMain).
import { DEFAULT_SCENARIO, MAX_BUDGET_MB, PRESETS, MIB, type Deployment } from '../model/planner.ts';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../model/decision.ts';
import { SCENARIO_NAMES, SCENARIO_TEXT } from '../model/scenarios.ts';
import { FIRING_MODELS, parseEviction } from '../model/firing.ts';
import { UsageError } from './errors.ts';
import { int, oneOf, parseFlags, real } from './flags.ts';

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

const P = PRESETS[DEFAULT_SCENARIO];
const POST = PRESETS.post;
/** Bounds of the deployment flags: a billion alarms, a week-long token, a petabyte per worker. */
const MAX_ALARMS = 1e9;

export const PLAN_HELP = `usage: npm run plan -- [options]

For each design measured in a results file: tokens/day, validations/day at the receiving API, cache memory per
notifier worker, whether it fits a per-worker budget, and which design to pick for the deployment.

  --scenario S           preset: ${SCENARIO_NAMES.map((s) => `${s} (${SCENARIO_TEXT[s]})`).join(' | ')}
                         (default ${DEFAULT_SCENARIO}); the flags below override the preset
  --alarms N             alarms, 0..${MAX_ALARMS} (default ${P.alarms})
  --trust-share F        share of alarms with trust+ actions, 0..1: only they mint tokens (default ${P.trustShare})
  --trusts N             post scenario only: trusts the alarms share, at most one per alarm (default ${POST.trusts}); trust-per-alarm: one per alarm
  --firing F             share of alarms firing (notifying) per evaluation, 0..1 (default ${P.firingFraction})
  --firing-model M       ${FIRING_MODELS.join(' | ')}: independent draws at every evaluation, the same alarms at every
                         evaluation, or alarms in the alarm state for episodes of --episode-minutes notifying at
                         each evaluation (Aodh with repeat_actions) (default ${P.firingModel})
  --episode-minutes M    mean episode duration, minutes (≥ one evaluation, ≤ 1e6; default ${P.episodeMinutes})
  --eviction E           none | expired (drop an entry whose token is no longer usable) | lru:N (at most N entries
                         per worker, least recently used out) (default none: an upper bound)
  --interval S           evaluation interval, seconds, 1..86400 (default ${P.evaluationIntervalS})
  --hosts N              notifier hosts (default ${P.hosts})
  --workers-per-host N   notifier workers per host (default ${P.workersPerHost})
  --budget-mb MB         cache memory budget per worker, MB = 1024 KB, at most ${MAX_BUDGET_MB} (default ${P.budgetBytes / MIB})
  --fd-limit N           open descriptors a worker may hold (ulimit -n; default ${P.fdLimit}): a design whose
                         measured descriptors per entry × entries pass it does not fit, whatever its memory
  --store-servers K      servers of a shared design's store: what losing one of them costs (default ${P.storeServers})
  --token-lifetime S     token lifetime, seconds, up to 604800 (default ${P.tokenLifetimeS}; re-minted ${P.refreshMarginS} s before expiry, keystoneauth)
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
  'token-lifetime', 'in', 'runtime', 'keystone', 'keystone-cores', 'keystone-hosts', 'tick-window',
  'firing-model', 'episode-minutes', 'eviction', 'fd-limit', 'store-servers'] as const;

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

  const share = (flag: string, def: number) => real(flag, s(flag), def, 0, 1);
  if (s('trusts') !== undefined && scenario !== 'post') {
    throw new UsageError(`--trusts applies to the post scenario only: with ${scenario}, trusts = alarms × trust share`);
  }
  const tokenLifetimeS = real('token-lifetime', s('token-lifetime'), preset.tokenLifetimeS, preset.refreshMarginS, 604_800, { min: true });
  const evaluationIntervalS = real('interval', s('interval'), preset.evaluationIntervalS, 1, 86_400);
  let eviction = preset.eviction;
  try {
    if (s('eviction') !== undefined) eviction = parseEviction(s('eviction')!);
  } catch (err) {
    throw new UsageError(`--eviction: ${(err as Error).message}`);
  }
  const deployment: Deployment = {
    scenario,
    alarms: int('alarms', s('alarms'), preset.alarms, 0, MAX_ALARMS),
    trustShare: share('trust-share', preset.trustShare),
    ...(scenario === 'post' ? { trusts: int('trusts', s('trusts'), preset.trusts ?? 1, 1, MAX_ALARMS) } : {}),
    firingFraction: share('firing', preset.firingFraction),
    evaluationIntervalS,
    hosts: int('hosts', s('hosts'), preset.hosts, 1, 100_000),
    workersPerHost: int('workers-per-host', s('workers-per-host'), preset.workersPerHost, 1, 100_000),
    budgetBytes: real('budget-mb', s('budget-mb'), preset.budgetBytes / MIB, 0, MAX_BUDGET_MB, { min: true }) * MIB,
    tokenLifetimeS,
    refreshMarginS: preset.refreshMarginS,
    firingModel: oneOf('firing-model', s('firing-model'), FIRING_MODELS) ?? preset.firingModel,
    episodeMinutes: real('episode-minutes', s('episode-minutes'), preset.episodeMinutes, evaluationIntervalS / 60, 1e6),
    eviction,
    fdLimit: int('fd-limit', s('fd-limit'), preset.fdLimit, 1, 1e9),
    storeServers: int('store-servers', s('store-servers'), preset.storeServers, 1, 1000),
  };
  const path = s('in') ?? DEFAULT_RESULTS;
  if (path === '') throw new UsageError('--in needs a path');
  if (s('keystone') === '') throw new UsageError('--keystone needs a path');
  const keystone = {
    path: s('keystone') ?? DEFAULT_KEYSTONE, explicit: s('keystone') !== undefined,
    ...(s('keystone-cores') !== undefined ? { cores: real('keystone-cores', s('keystone-cores'), 1, 1e-6, 1e6) } : {}),
    hosts: int('keystone-hosts', s('keystone-hosts'), 1, 1, 100_000),
    tickWindowS: real('tick-window', s('tick-window'), 10, 1e-3, 86_400),
  };
  return { help: false, deployment, in: path, runtime, format: v.json ? 'json' : v.markdown ? 'markdown' : 'text', keystone };
}
