// `npm run plan -- [flags]`: which measured design fits a deployment. Flags in src/cli/plan-args.ts, the
// computation in src/model/planner.ts, the output in src/report/planner-render.ts; this file only wires them.
import { runMain, UsageError } from '../src/cli/errors.ts';
import { PLAN_HELP, parsePlanArgs } from '../src/cli/plan-args.ts';
import { plansByRuntime } from '../src/model/decision.ts';
import { planJson, planMarkdown, planText } from '../src/report/planner-render.ts';
import { formatDate } from '../src/report/format.ts';
import { readResults } from '../src/results/read.ts';
import { existsSync } from 'node:fs';
import { keystoneCosts } from '../src/keystone-load/costs.ts';
import { readKeystoneLoad } from '../src/keystone-load/read.ts';
import type { KeystoneInput } from '../src/model/planner.ts';

export async function planMain(argv: string[]): Promise<number> {
  const args = parsePlanArgs(argv);
  if (args.help) {
    process.stdout.write(PLAN_HELP);
    return 0;
  }
  const results = readResults(args.in);
  if (results.designs.length === 0) throw new UsageError(`${args.in} holds no measured designs (run \`npm run bench\`)`);
  // Keystone's measured costs: the file asked for (an error if unusable), or the default one when present
  let ks: KeystoneInput | undefined;
  let ksNote: string | undefined;
  const k = args.keystone;
  if (k.explicit || existsSync(k.path)) {
    const costs = keystoneCosts(readKeystoneLoad(k.path), k.path);
    if ('why' in costs) {
      if (k.explicit) throw new UsageError(`--keystone ${k.path}: ${costs.why}`);
      ksNote = `Keystone cores: not computed (${costs.why}).`;
    } else ks = { costs, capacity: { ...(k.cores !== undefined ? { cores: k.cores } : {}), hosts: k.hosts, tickWindowS: k.tickWindowS } };
  } else ksNote = `Keystone cores: no measured Keystone costs (${k.path} not found: run \`npm run keystone-load\`).`;
  let plans;
  try {
    plans = plansByRuntime(results, args.deployment, ks);
  } catch (err) {
    // the model refuses values its arithmetic cannot mean with RangeError: here they are the user's input
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const source = `${args.in} (\`${results.meta.command}\`, ${formatDate(results.meta.startedAt)})`;
  const p = plans[args.runtime];
  const rp = { runtime: args.runtime, plans };
  const out = args.format === 'json' ? planJson(p, args.in, rp) : args.format === 'markdown' ? planMarkdown(p, source, rp) : planText(p, source, rp);
  process.stdout.write(out);
  if (ksNote && args.format !== 'json') process.stdout.write(`\n${ksNote}\n`);
  return 0;
}

await runMain(() => planMain(process.argv.slice(2)));
