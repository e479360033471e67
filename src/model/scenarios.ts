// The two alarm-notifier scenarios the token model answers, as inputs to modelScenario (src/model/tokens.ts):
//
// - 'post': the 2015 post's assumption — the alarms belong to ~10,000 users, each with a few trusts, so the
//   cache holds `trusts` entries however many alarms there are.
// - 'trust-per-alarm': since Ocata, Aodh creates one trust per alarm with a `trust+` action, so the cache holds
//   one entry per such alarm: trusts = alarms × trust share. Every trust then receives only its own alarm's
//   notifications (firing share × evaluations a day), far fewer per token lifetime than in the post's scenario.
//
// Both count only the alarms with trust actions as notifications that need a token: the others notify without
// Keystone. The post assumed every alarm has one (trust share 1, the default here too).
//
// The receiving side: each newly minted token is unknown to keystonemiddleware's token cache at the API the
// notification goes to, so that API asks Keystone to validate it — one validation per new token. A token reused
// after the middleware's own cache entry expired (token_cache_time, 300 s by default) is validated again; those
// revalidations are not counted, so validations/day here is a lower bound equal to tokens/day.
//
// Pure arithmetic, no I/O: `npm run model`, `npm run plan`, the report and the summary all call these.
import { POST_SCENARIO, modelScenario, type ScenarioParams, type ScenarioResult } from './tokens.ts';

export type ScenarioName = 'post' | 'trust-per-alarm';
export const SCENARIO_NAMES: readonly ScenarioName[] = ['post', 'trust-per-alarm'];

export interface ScenarioInputs {
  scenario: ScenarioName;
  alarms: number;
  /** share of alarms with a `trust+` action, 0..1: only their notifications mint tokens */
  trustShare: number;
  /** 'post' only: trusts the alarms' owners hold (the post's ~10,000); 'trust-per-alarm' derives it */
  trusts?: number;
}

/** Short descriptions for help texts and headings. */
export const SCENARIO_TEXT: Readonly<Record<ScenarioName, string>> = Object.freeze({
  'post': "the post's scenario: the alarms share ~10,000 users' trusts",
  'trust-per-alarm': 'one trust per alarm with a trust+ action (Aodh since Ocata)',
});

export const DEFAULT_TRUST_SHARE = 1;

/**
 * The model's inputs for a scenario: `alarms` become the alarms with trust actions (round(alarms × share)), and
 * `trusts` the cache entries they need (the post's fixed count, or one per such alarm). Throws RangeError for
 * inputs the arithmetic cannot mean (the CLIs turn it into a usage error).
 */
export function scenarioParams(s: ScenarioInputs, rest: Partial<Omit<ScenarioParams, 'alarms' | 'trusts'>> = {}): ScenarioParams {
  if (!(SCENARIO_NAMES as readonly string[]).includes(s.scenario)) throw new RangeError(`scenario must be one of ${SCENARIO_NAMES.join(', ')} (got ${s.scenario})`);
  if (!(Number.isSafeInteger(s.alarms) && s.alarms >= 0)) throw new RangeError(`alarms must be a whole number ≥ 0 (got ${s.alarms})`);
  if (!(s.trustShare >= 0 && s.trustShare <= 1)) throw new RangeError(`trust share must be within 0..1 (got ${s.trustShare})`);
  if (s.scenario === 'trust-per-alarm' && s.trusts !== undefined) {
    throw new RangeError('trusts follow from the alarms in the trust-per-alarm scenario (alarms × trust share); use the post scenario to set them');
  }
  const trustAlarms = Math.round(s.alarms * s.trustShare);
  const trusts = s.scenario === 'post' ? s.trusts ?? POST_SCENARIO.trusts : trustAlarms;
  if (trusts < 1) throw new RangeError(`no alarm has a trust action (${s.alarms} alarms × trust share ${s.trustShare} < 1): nothing to cache`);
  return { ...POST_SCENARIO, ...rest, alarms: trustAlarms, trusts };
}

export interface ScenarioOutcome extends ScenarioResult {
  scenario: ScenarioName;
  trustShare: number;
  /** the alarms before the trust share was applied */
  allAlarms: number;
  /** Keystone validations a day at the receiving APIs: one per newly minted token (a lower bound, see above) */
  validationsPerDay: number;
}

/** Validations at the receiving API: every new token is a miss in keystonemiddleware's token cache. */
export const validationsPerDay = (tokensPerDay: number): number => tokensPerDay;

/** modelScenario for a named scenario, with the receiving side and one more line of arithmetic. */
export function modelNamedScenario(s: ScenarioInputs, rest: Partial<Omit<ScenarioParams, 'alarms' | 'trusts'>> = {}): ScenarioOutcome {
  const p = scenarioParams(s, rest);
  const r = modelScenario(p);
  const v = validationsPerDay(r.tokensPerDay);
  const count = (x: number) => Math.round(x).toLocaleString('en-US');
  const lead = s.scenario === 'post'
    ? `${s.scenario}: ${count(s.alarms)} alarms × trust share ${s.trustShare} = ${count(p.alarms)} alarms with trust actions, sharing ${count(p.trusts)} trusts`
    : `${s.scenario}: one trust per alarm with a trust+ action: ${count(s.alarms)} alarms × trust share ${s.trustShare} = ${count(p.trusts)} trusts (cache entries)`;
  return {
    ...r, scenario: s.scenario, trustShare: s.trustShare, allAlarms: s.alarms, validationsPerDay: v,
    explanation: [lead, ...r.explanation,
      `receiving API: each new token is a miss in keystonemiddleware's token cache → validations/day = tokens/day = ${count(v)} (at least: reuse after its 300 s cache time revalidates)`],
  };
}
