// Spec → SVG with Vega's headless renderer, SVG → PNG with resvg (no browser, no canvas package needed).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';

// The renderers load on first use: together they are about half a second of every command's start-up, and most
// runs of a command that can draw a chart (a usage error, --help, --json) never draw one.
type Vega = typeof import('vega');
let vegaLibs: Promise<{ vega: Vega; compile: typeof import('vega-lite').compile }> | undefined;
const loadVega = () => (vegaLibs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => {
  measureTextWithDejaVu(vega);
  return { vega, compile: vl.compile };
}));
let resvg: typeof import('@resvg/resvg-js') | undefined;
const loadResvg = () => (resvg ??= createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));

const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';

// Without node-canvas Vega guesses every character is 0.8 em wide, which truncates axis labels ("…") and
// pads every chart with empty space sized for the long subtitle. Vega lets the caller supply the width
// function (vl-convert does the same), so measure with DejaVu Sans' real advance widths (per mille of an
// em, read from the hmtx table of DejaVuSans.ttf / DejaVuSans-Bold.ttf for U+0020..U+007E).
const REGULAR = [318,401,460,838,636,950,780,275,390,390,500,838,318,361,318,337,636,636,636,636,636,636,636,636,636,636,337,337,838,838,838,531,1000,684,686,698,770,632,575,775,752,295,295,656,557,863,748,787,603,787,695,635,611,732,684,989,685,611,685,390,337,390,838,500,500,613,635,550,635,615,352,635,634,278,278,579,278,974,634,612,635,635,411,521,392,634,592,818,592,592,525,636,337,636,838];
const BOLD = [348,456,521,838,696,1002,872,306,457,457,523,838,380,415,380,365,696,696,696,696,696,696,696,696,696,696,400,400,838,838,838,580,1000,774,762,734,830,683,683,821,837,372,372,775,637,995,837,850,733,850,770,720,682,812,774,1103,771,724,725,457,365,457,838,500,500,675,716,593,716,678,435,716,712,343,343,665,343,1042,712,687,716,716,493,595,478,712,652,924,645,652,582,712,365,712,838];
const WIDE = new Set([...'…×±−≈']);

interface TextItem { fontSize?: number; fontWeight?: string | number; limit?: number }

export function textWidth(text: string, fontSize = 11, bold = false): number {
  const table = bold ? BOLD : REGULAR;
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)! - 32;
    w += c >= 0 && c < table.length ? table[c] : WIDE.has(ch) ? 900 : 640;
  }
  return (w / 1000) * fontSize;
}

function measureTextWithDejaVu(vega: Vega): void {
  (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width =
    (item, text) => {
      const s = text == null ? '' : String(text).trim();
      const weight = item.fontWeight;
      return textWidth(s, item.fontSize ?? 11, weight === 'bold' || (typeof weight === 'number' && weight >= 600));
    };
}

// Vega-Lite warns on every faceted chart with independent scales that it assumes the layers share one data
// source; ours do by construction. Other warnings still reach stderr.
const BENIGN = /faceted independent scales that union domain/;
const logger = {
  level(): number { return 2; },
  error(...args: unknown[]) { console.error('vega-lite:', ...args); return logger; },
  warn(...args: unknown[]) { if (!BENIGN.test(String(args[0]))) console.warn('vega-lite:', ...args); return logger; },
  info() { return logger; },
  debug() { return logger; },
};

/**
 * Largest side of a chart, px: the report's are 230–1100. A chart sized by absurd data (a scale over a CI of
 * millions of bytes) must fail here, not take gigabytes in the PNG renderer (twice the size, 4 bytes a pixel).
 */
export const MAX_CHART_PX = 8192;

function checkSize(svg: string): string {
  const m = /^<svg[^>]*?\swidth="([^"]*)"[^>]*?\sheight="([^"]*)"/.exec(svg);
  const [w, h] = [Number(m?.[1]), Number(m?.[2])];
  if (!(w > 0 && h > 0 && w <= MAX_CHART_PX && h <= MAX_CHART_PX)) {
    throw new Error(`a chart came out ${m ? `${m[1]} × ${m[2]} px` : 'without a size'}, outside 1..${MAX_CHART_PX} px a side: not rendered`);
  }
  return svg;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, compile } = await loadVega();
  const compiled = compile(spec, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return checkSize(await view.toSVG());
  } finally {
    view.finalize();
  }
}

function dejavuFiles(): string[] {
  try {
    return readdirSync(DEJAVU_DIR).filter((f) => f.endsWith('.ttf')).map((f) => join(DEJAVU_DIR, f));
  } catch {
    return []; // fall back to system fonts; text vanishes if none is installed, hence fonts-dejavu-core
  }
}

/** PNG at twice the SVG's size, so text stays crisp on high-density screens and in README previews. */
export function svgToPng(svg: string): Uint8Array {
  checkSize(svg);
  const { Resvg } = loadResvg();
  const resvg = new Resvg(svg, {
    font: { fontFiles: dejavuFiles(), loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
  });
  return resvg.render().asPng();
}
