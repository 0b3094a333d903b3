/**
 * The README's table of meshwatch's own metrics, rendered from the catalogue in counters.ts
 * (Prometheus names as `/metrics` shows them: dots become underscores, counters end in
 * `_total`, a histogram is its `_bucket`, `_sum` and `_count` series). scripts/gen-schemas.ts
 * writes it between the README's `metrics` markers and its check fails on drift.
 */
import { COUNTERS, HISTOGRAMS, type MetricSpec } from './counters.js';

export const METRICS_BEGIN = '<!-- metrics:begin (generated from src/telemetry/counters.ts: npm run schemas) -->';
export const METRICS_END = '<!-- metrics:end -->';

const promName = (s: MetricSpec): string => s.name.replace(/[^a-zA-Z0-9_:]/g, '_');

export function renderMetricsTable(): string {
  const rows: string[][] = [
    ...Object.values(COUNTERS).map((s: MetricSpec) => [`\`${promName(s)}_total\``, 'counter', s.labels, s.description] as const),
    ...Object.values(HISTOGRAMS).map(
      (s: MetricSpec) =>
        [`\`${promName(s)}\` (\`_bucket\`, \`_sum\`, \`_count\`)`, `histogram (${s.unit ?? '1'})`, s.labels, s.description] as const,
    ),
  ].map(([name, type, labels, description]) => [name, type, labels.map((l) => `\`${l}\``).join(', '), description.replace(/\|/g, '\\|')]);
  return table(['metric', 'type', 'labels', 'counts'], rows);
}

/** A Markdown table laid out as prettier lays it out (columns padded to their widest cell). */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The README with its metrics table replaced; undefined when the markers are missing. */
export function withMetricsTable(readme: string): string | undefined {
  const a = readme.indexOf(METRICS_BEGIN);
  const b = readme.indexOf(METRICS_END);
  if (a < 0 || b < a) return undefined;
  return `${readme.slice(0, a + METRICS_BEGIN.length)}\n\n${renderMetricsTable()}\n\n${readme.slice(b)}`;
}
