// The planner's Keystone inputs from a keystone-load results file: CPU per token and per validation, capacity and
// an idle token's latency. A file without them (the stand-in's, or a Keystone whose CPU could not be read) gives
// the reason instead: no Keystone figure is ever made up.
import type { KeystoneCosts } from '../model/keystone.ts';
import type { KeystoneLoadResults } from './schema.ts';

export function keystoneCosts(r: KeystoneLoadResults, source: string): KeystoneCosts | { why: string } {
  if (r.meta.keystone.kind !== 'real') return { why: `${source} measured the stand-in, not Keystone` };
  const token = r.operations.find((o) => o.id === 'token-trust') ?? r.operations.find((o) => o.id === 'token-trust-nocatalog');
  const validate = r.operations.find((o) => o.id === 'validate');
  if (!token?.cpuMsPerOp?.resolved) return { why: `${source} has no resolved CPU per token (${r.meta.keystone.cpuNotMeasurable ?? 'not measured'})` };
  if (!validate?.cpuMsPerOp?.resolved) return { why: `${source} has no resolved CPU per validation` };
  return {
    cpuMsPerToken: token.cpuMsPerOp.mean,
    cpuMsPerValidation: validate.cpuMsPerOp.mean,
    capacityPerS: token.capacityPerS,
    tokenLatencyMs: token.curve.find((p) => p.concurrency === 1)?.p50Ms ?? null,
    passwordHashRounds: r.meta.keystone.passwordHashRounds,
    source,
  };
}
