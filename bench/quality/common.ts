/**
 * Shared pieces of the detection-quality harness: config from `--set` overrides (as the CLI
 * does), in-process replay of generated lines, the repo-relative paths, and a plain-text
 * table printer. Nothing here is part of meshwatch itself; the harness only calls its public
 * entry points (`parseConfig`, `replay`).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type ReplaySummary, replay } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';

/** The repository root (bench/quality/ → ../..). */
export const REPO_ROOT = new URL('../..', import.meta.url);

/** A path relative to the repository root, as a file-system path. */
export const fromRepoRoot = (rel: string): string => fileURLToPath(new URL(rel, REPO_ROOT));

/** `value` as JSON when it parses, else as text (the CLI's `--set` rule). */
function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

/** `--set path=value` flags → overrides by config path. */
export function overridesOf(sets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of sets) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--set expects path=value, got '${kv}'`);
    out[kv.slice(0, i)] = jsonOrText(kv.slice(i + 1));
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function setPath(obj: Obj, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (!isObj(next)) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/**
 * Defaults ← optional JSON file ← overrides, validated by meshwatch's own `parseConfig`.
 * The environment is NOT read: a measurement must not depend on the shell it runs in.
 */
export function buildConfig(overrides: Record<string, unknown>, file?: string): Readonly<Config> {
  const raw: Obj = file === undefined ? {} : (JSON.parse(readFileSync(file, 'utf8')) as Obj);
  for (const [path, v] of Object.entries(overrides)) setPath(raw, path, v);
  return parseConfig(raw);
}

/** A firing alert, reduced to what scoring needs. */
export interface Firing {
  /** `namespace/name`. */
  service: string;
  metric: string;
  kind: string;
  /** `window.start` of the triggering window, epoch ms. */
  windowStartMs: number;
  z: number | undefined;
  /** Which test found the triggering window anomalous (point, burst, drift, sustained), when the alert says. */
  test: string | undefined;
}

export const firingOf = (a: Alert): Firing => {
  const z = a.details['z'];
  return {
    service: `${a.service.namespace}/${a.service.name}`,
    metric: a.metric,
    kind: a.kind,
    windowStartMs: Date.parse(a.window.start),
    z: typeof z === 'number' ? z : undefined,
    test: typeof a.details['test'] === 'string' ? a.details['test'] : undefined,
  };
};

/** Groups lines into ~64 KiB chunks (newline-terminated) for a Readable. */
export function* chunks(lines: Iterable<string>): Generator<string> {
  let buf = '';
  for (const l of lines) {
    buf += l + '\n';
    if (buf.length >= 65536) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

export interface ReplayOutcome {
  firing: Firing[];
  /** Every alert document (firing and resolved). */
  alerts: number;
  summary: ReplaySummary;
}

/** Runs lines through meshwatch's `replay()` in-process (no Kafka, no Redis). */
export async function replayLines(config: Readonly<Config>, lines: Iterable<string>): Promise<ReplayOutcome> {
  return replayStream(config, Readable.from(chunks(lines)));
}

export async function replayStream(config: Readonly<Config>, input: NodeJS.ReadableStream): Promise<ReplayOutcome> {
  const firing: Firing[] = [];
  let alerts = 0;
  const summary = await replay(config, input, (a) => {
    alerts++;
    if (a.status === 'firing') firing.push(firingOf(a));
  });
  return { firing, alerts, summary };
}

/** One line of replay bookkeeping: records, windows, late drops and rejects (should be 0). */
export function replayNote(s: ReplaySummary): string {
  const rejected = Object.values(s.stats.rejected).reduce((a, b) => a + b, 0);
  return (
    `${s.stats.records} records, ${s.stats.observations} observations, ${rejected} rejected, ` +
    `${s.stats.engine.windows_closed} windows closed, ${s.stats.engine.late_dropped} late; ` +
    `${s.alerts} alerts (${s.firing} firing) in ${s.seconds.toFixed(1)} s`
  );
}

export type Cell = string | number;

/** A plain-text table; numbers right-aligned, text left-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, j) => Math.max(h.length, ...text.map((r) => (r[j] ?? '').length)));
  const numeric = headers.map((_, j) => rows.every((r) => typeof r[j] === 'number' || /^(n\/a|-|[-+]?[\d.]+%?)$/.test(String(r[j]))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, j) => (numeric[j] && j > 0 ? c.padStart(widths[j] ?? 0) : c.padEnd(widths[j] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** Fixed decimals, or `n/a` for non-finite values. */
export const fmt = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/** Runs a harness's main: exits with its code, or 2 with the error's message. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
