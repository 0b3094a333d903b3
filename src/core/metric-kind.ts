/**
 * A metric's kind, read from its name, for metrics meshwatch does not derive itself (a replayed
 * gauge, a Prometheus series, a CSV column): so that `http_request_duration_seconds` or
 * `PodServerLatencyP90(s)` is judged as a latency and `CpuUsage(m)` as CPU without a line of
 * configuration. Pure; no I/O.
 *
 * Claim: the name is split into lower-case words (camelCase, `_`, `-`, `.`, spaces) and a unit:
 * a bracketed suffix (`(s)`, `(ms)`, `(m)`, `(Mi)`, `(%)`, `[bytes]`) or a Prometheus unit word at
 * the end (`_seconds`, `_milliseconds`, `_bytes`, `_ratio`, `_percent`, before an optional
 * `_total`). The first rule of KIND_RULES whose words appear in the name decides the kind;
 * the kind and the unit give the policy, its floors converted to the unit:
 *
 * | kind       | words (any)                                             | policy                                      |
 * | ---------- | ------------------------------------------------------- | ------------------------------------------- |
 * | cpu        | cpu                                                     | up, 2 mcores (0.2 %), 2 %                    |
 * | memory     | memory, mem, rss, heap, working set, fs                 | up, 1 MiB (2 % of a percent), 2 %, drift 5 % |
 * | errors     | error(s), errored, failure(s), failed, fault(s), 5xx    | up, ratio 0.02 (2 %), 0 %; counts as rate   |
 * | success    | success, availability                                   | down, ratio 0.02 (2 %), 0 %                 |
 * | latency    | latency, duration, rt, response time, elapsed, wait     | up, log scale, 1 ms, 5 %                    |
 * | bytes/s    | bytes, byte, network, net, rx, tx, receive, transmit    | both, 1 KiB, 5 %                            |
 * | rate       | request(s), ops, qps, rps, workload, syscall, calls, …  | both, 0.1, 2 %                              |
 * | ratio      | unit % or ratio, or the word ratio / utilisation        | both, 0.02 (2 %), 0 %                       |
 *
 * Units: time s/ms/us/ns (a latency with no unit is in ms, meshwatch's own convention); CPU
 * cores (no unit, `_seconds_total` after a rate), m (millicores) or %; sizes bytes, Ki, Mi, Gi
 * (KiB, MiB, GiB), or % (of a limit). A name that matches no rule (`value`) has no kind and
 * keeps `defaultPolicy`; an explicit `detection.metrics` entry always wins (params.ts policyFor).
 */
import { type MetricPolicy } from './params.js';

export type MetricKind = 'cpu' | 'memory' | 'errors' | 'success' | 'latency' | 'bytes' | 'rate' | 'ratio';

/** A metric name as words and a unit (lower-case; '' when none is given). */
export interface ParsedName {
  words: readonly string[];
  unit: string;
}

const PROM_UNITS = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds', 'bytes', 'ratio', 'percent'];

/** Splits a metric name into lower-case words and its unit suffix. */
export function parseName(name: string): ParsedName {
  let rest = name.trim();
  let unit = '';
  const bracket = /[([]\s*([^)\]]*?)\s*[)\]]\s*$/.exec(rest);
  if (bracket) {
    unit = (bracket[1] ?? '').toLowerCase();
    rest = rest.slice(0, bracket.index);
  }
  const words = rest
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9%]+/)
    .filter((w) => w.length > 0);
  // `requests_per_s`, `bytes_per_second`: a rate, not a time.
  if (!unit && words.at(-2) !== 'per') {
    const last = words.at(-1) === 'total' ? words.at(-2) : words.at(-1);
    if (last !== undefined && PROM_UNITS.includes(last)) unit = last;
    else if (last === 'ms' || last === 'us' || last === 'ns' || last === 's' || last === 'pct') unit = last;
  }
  return { words, unit };
}

const has = (words: readonly string[], any: readonly string[]): boolean => words.some((w) => any.includes(w));
const hasPair = (words: readonly string[], a: string, b: string): boolean => words.some((w, i) => w === a && words[i + 1] === b);

const PERCENT_UNITS = ['%', 'percent', 'pct'];
const isPercent = (unit: string): boolean => PERCENT_UNITS.includes(unit);

/** The kind rules, first match wins (CPU before latency: `cpu_seconds_total` is CPU time, not a duration). */
const KIND_RULES: readonly { kind: MetricKind; test: (n: ParsedName) => boolean }[] = [
  { kind: 'cpu', test: (n) => has(n.words, ['cpu', 'cpus']) },
  { kind: 'memory', test: (n) => has(n.words, ['memory', 'mem', 'rss', 'heap', 'fs']) || hasPair(n.words, 'working', 'set') },
  { kind: 'errors', test: (n) => has(n.words, ['error', 'errors', 'errored', 'failure', 'failures', 'failed', 'fault', 'faults', '5xx']) },
  { kind: 'success', test: (n) => has(n.words, ['success', 'successful', 'availability']) },
  {
    kind: 'latency',
    test: (n) =>
      has(n.words, ['latency', 'latencies', 'duration', 'rt', 'elapsed', 'wait']) ||
      hasPair(n.words, 'response', 'time') ||
      (n.unit !== '' && TIME_UNITS[n.unit] !== undefined && !has(n.words, ['total', 'uptime', 'timestamp', 'age'])),
  },
  {
    kind: 'bytes',
    test: (n) => has(n.words, ['bytes', 'byte', 'network', 'net', 'rx', 'tx', 'receive', 'transmit']) || n.unit === 'bytes',
  },
  {
    kind: 'rate',
    test: (n) =>
      has(n.words, [
        'request',
        'requests',
        'reqs',
        'ops',
        'qps',
        'rps',
        'tps',
        'workload',
        'syscall',
        'syscalls',
        'calls',
        'throughput',
        'messages',
        'packets',
      ]) || n.unit === 'ops',
  },
  { kind: 'ratio', test: (n) => isPercent(n.unit) || n.unit === 'ratio' || has(n.words, ['ratio', 'utilization', 'utilisation']) },
];

/** One millisecond in a time unit. */
const TIME_UNITS: Record<string, number> = {
  s: 1e-3,
  sec: 1e-3,
  seconds: 1e-3,
  ms: 1,
  milliseconds: 1,
  us: 1e3,
  microseconds: 1e3,
  ns: 1e6,
  nanoseconds: 1e6,
};
/** One byte in a size unit. */
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  bytes: 1,
  ki: 1 / 1024,
  kib: 1 / 1024,
  kb: 1e-3,
  mi: 1 / 1024 ** 2,
  mib: 1 / 1024 ** 2,
  mb: 1e-6,
  gi: 1 / 1024 ** 3,
  gib: 1 / 1024 ** 3,
  gb: 1e-9,
};
/** One core in a CPU unit. */
const CPU_UNITS: Record<string, number> = { '': 1, cores: 1, core: 1, seconds: 1, s: 1, m: 1000, millicores: 1000 };

/** The kind of a metric from its name, or undefined when no rule matches. */
export function kindOf(name: string): MetricKind | undefined {
  const n = parseName(name);
  return KIND_RULES.find((r) => r.test(n))?.kind;
}

const policy = (
  direction: MetricPolicy['direction'],
  absFloor: number,
  relFloor: number,
  extra: Partial<MetricPolicy> = {},
): MetricPolicy => ({
  direction,
  absFloor,
  relFloor,
  ...extra,
});

/** The policy a metric's kind and unit call for, or undefined when its name says neither. */
export function inferPolicy(name: string): MetricPolicy | undefined {
  const n = parseName(name);
  const kind = KIND_RULES.find((r) => r.test(n))?.kind;
  const pct = isPercent(n.unit);
  switch (kind) {
    case undefined:
      return undefined;
    case 'cpu':
      return policy('up', pct ? 0.2 : 0.002 * (CPU_UNITS[n.unit] ?? 1), 0.02);
    case 'memory':
      return pct ? policy('up', 2, 0, { drift: 0.05 }) : policy('up', 1024 ** 2 * (SIZE_UNITS[n.unit] ?? 1), 0.02, { drift: 0.05 });
    case 'errors':
      return pct
        ? policy('up', 2, 0)
        : n.unit === 'ratio' || has(n.words, ['ratio', 'rate'])
          ? policy('up', 0.02, 0)
          : policy('up', 0.1, 0.02);
    case 'success':
      return policy('down', pct ? 2 : 0.02, 0);
    case 'latency':
      return policy('up', TIME_UNITS[n.unit] ?? 1, 0.05, { scale: 'log' });
    case 'bytes':
      return policy('both', 1024 * (SIZE_UNITS[n.unit] ?? 1), 0.05);
    case 'rate':
      return policy('both', 0.1, 0.02);
    case 'ratio':
      return policy('both', pct ? 2 : 0.02, 0);
  }
}

/** Inferred policies by name: a metric's name is parsed once (bounded: cleared when full). */
const CACHE_LIMIT = 4096;
const cache = new Map<string, MetricPolicy | null>();

/** inferPolicy, remembered per name. */
export function inferredPolicy(name: string): MetricPolicy | undefined {
  let p = cache.get(name);
  if (p === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    p = inferPolicy(name) ?? null;
    cache.set(name, p);
  }
  return p ?? undefined;
}
