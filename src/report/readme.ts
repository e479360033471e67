// results/README.md: the summary for people browsing the repository, with the PNG charts (GitHub and most
// Markdown viewers do not render inline SVG from a relative path as reliably as PNG).
import type { Results } from '../results/schema.ts';
import { failuresMarkdown, latencyMarkdown, methodLine, referenceLine, summaryTableMarkdown, tokenModelMarkdown } from '../export/markdown.ts';
import { formatBytes, formatDate, formatDuration, isSynthetic, machineLine } from './format.ts';
import { howToRead } from './html.ts';

export function reportReadme(r: Results, charts: Array<{ name: string; title: string; caption: string }>): string {
  const m = r.meta;
  const parts = [
    '# Per-object memory of Keystone-client cache designs',
    machineLine(r),
  ];
  if (isSynthetic(r)) parts.push('> **Synthetic fixture data: these numbers were not measured.**');
  if (m.partial) parts.push('> **Interrupted run: only the samples that completed.**');
  parts.push(
    methodLine(r), summaryTableMarkdown(r), referenceLine(r),
    'Full page with vector charts: [index.html](index.html) · every sample: [samples.csv](samples.csv)',
    '## Charts',
    ...charts.map((c) => `![${c.title}](charts/${c.name}.png)\n\n*${c.caption}*`),
  );
  parts.push("## Tokens and memory in the post's scenario", tokenModelMarkdown(r));
  const lat = latencyMarkdown(r);
  if (lat) parts.push('## Latency per lookup', lat);
  const failed = failuresMarkdown(r);
  if (failed) parts.push('## Failed samples', failed);
  parts.push('## How to read this', ...howToRead(r));
  parts.push('## Run', [
    `- Node ${m.node} / V8 ${m.v8}, ${m.platform} ${m.arch}`,
    `- CPU: ${m.cpu} × ${m.cpus}, memory ${formatBytes(m.totalMemBytes)}`,
    `- Command: \`${m.command.replace(/`/g, "'")}\``,
    `- Commit: ${m.commit}`,
    `- Started ${formatDate(m.startedAt)}, took ${formatDuration(m.durationMs)}`,
    `- Keystone: ${m.keystone.kind}, ${m.keystone.version} (${m.keystone.url})${m.keystone.server ? `, served by ${m.keystone.server}` : ''}`,
    `- Redis: ${m.redis.kind}, ${m.redis.version}`,
  ].join('\n'));
  return parts.join('\n\n') + '\n';
}
