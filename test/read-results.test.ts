import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from '../src/results/read.ts';
import { writeReport } from '../src/report/index.ts';
import { syntheticResultsMinimal } from './fixtures/synthetic-results.ts';

describe('reading results the bench wrote', () => {
  it('accepts NaN statistics (written as null by JSON) and renders the report from them', async () => {
    const r = syntheticResultsMinimal();
    // a metric that never varied: R² is undefined, as the bench computes it for a constant `external`
    const slope = r.designs[0].perObject.external!;
    slope.r2 = NaN;
    slope.ci95 = [NaN, NaN];
    const dir = mkdtempSync(join(tmpdir(), 'kcb-read-'));
    const file = join(dir, 'latest.json');
    writeFileSync(file, JSON.stringify(r));
    const back = readResults(file);
    expect(back.designs[0].perObject.external!.r2).toBeNaN();
    const files = await writeReport(back, dir);
    expect(files.some((f) => f.endsWith('index.html'))).toBe(true);
  });
});
