// `npm run plan -- [flags]`: which measured design fits a deployment. Flags in src/cli/plan-args.ts, the
// computation in src/model/planner.ts, the output in src/report/planner-render.ts; this file only wires them.
import { runMain, UsageError } from '../src/cli/errors.ts';
import { PLAN_HELP, parsePlanArgs } from '../src/cli/plan-args.ts';
import { plansByRuntime } from '../src/model/decision.ts';
import { planJson, planMarkdown, planText } from '../src/report/planner-render.ts';
import { formatDate } from '../src/report/format.ts';
import { readResults } from '../src/results/read.ts';

export async function planMain(argv: string[]): Promise<number> {
  const args = parsePlanArgs(argv);
  if (args.help) {
    process.stdout.write(PLAN_HELP);
    return 0;
  }
  const results = readResults(args.in);
  if (results.designs.length === 0) throw new UsageError(`${args.in} holds no measured designs (run \`npm run bench\`)`);
  let plans;
  try {
    plans = plansByRuntime(results, args.deployment);
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
  return 0;
}

await runMain(() => planMain(process.argv.slice(2)));
