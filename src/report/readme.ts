// results/README.md is laid out by the Markdown renderer with summary.md (src/report/markdown.ts); this name stays
// for callers that import it from here.
export { reportReadme } from './markdown.ts';
