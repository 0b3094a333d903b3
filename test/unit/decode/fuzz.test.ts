/**
 * Fuzz of every decoder (and the windows topic's parser) with malformed records made by mutating
 * valid fixtures: truncated, deep (up to 50,000), wide, huge, binary and invalid UTF-8, wrong
 * types, non-finite and absurd numbers, extreme timestamps, hostile names, `__proto__` keys.
 * Claim: no record throws; each is decoded (with finite, plausible numbers) or rejected with a
 * catalogued code and a non-empty, bounded reason; Object.prototype is untouched afterwards.
 * Deterministic (fixed seed); 9 targets × 1,200 runs = 10,800 records, each through both the
 * text and the bytes entry point.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { type DecodeOptions, type DecodeResult, type DecoderHint, decode, decodeBytes } from '../../../src/core/decode/index.js';
import { type Observation } from '../../../src/core/model.js';
import { parseWindowsMessage } from '../../../src/core/window/partial-codec.js';
import { WindowAggregator } from '../../../src/core/window/aggregator.js';
import { fixture } from './fixtures.js';

const SEED = 20_261_206;
const RUNS_PER_TARGET = 1200;
const MAX_REASON_CHARS = 600;
const enc = new TextEncoder();
const lenient = new TextDecoder();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** A target: a valid value, how it becomes a message, and which entry point reads it. */
interface Target {
  name: string;
  base: Json;
  render: (v: Json) => string;
  hint: DecoderHint | 'windows';
}

const parse = (text: string): Json => JSON.parse(text) as Json;
const asText = (v: Json): string => JSON.stringify(v);

function windowsFixture(): Json {
  const agg = new WindowAggregator({ windowMs: 10_000, maxOpenPartials: 10, maxEdges: 10, maxContainers: 10, maxMetrics: 10 });
  const service = { namespace: 'shop', name: 'cart' };
  const ts = Date.UTC(2026, 0, 1);
  agg.add({
    kind: 'request',
    request: {
      ts,
      service,
      direction: 'inbound',
      protocol: 'HTTP/1.1',
      status: 200,
      isError: false,
      durationMs: 12,
      bytesReceived: 1,
      bytesSent: 2,
      peer: { namespace: 'shop', name: 'web' },
    },
  });
  agg.add({
    kind: 'container',
    stats: { ts, service, container: 'shop/cart-1/app', counters: { cpu_usage_ns: 5 }, gauges: { processes: 3 } },
  });
  agg.add({ kind: 'sample', sample: { ts, service, metric: 'queue_depth', value: 2 } });
  return parse(JSON.stringify(agg.drain()[0]));
}

/** Shipper envelopes with their embedded line as the mutated value. */
function embedded(file: string, key: 'log' | 'message'): { envelope: Json; line: Json; render: (v: Json) => string } {
  const envelope = parse(fixture(file)) as Record<string, Json>;
  const line = parse(envelope[key] as string);
  return { envelope, line, render: (v) => asText({ ...envelope, [key]: asText(v) }) };
}

const fluent = embedded('envoy/fluent-bit-cri.json', 'log');
const vector = embedded('envoy/vector.json', 'message');
const otelRaw = parse(parse(fixture('envoy/otel-raw.json')) as string);

const TARGETS: Target[] = [
  { name: 'envoy raw typed', base: parse(fixture('envoy/raw-typed-inbound.json')), render: asText, hint: 'envoy' },
  { name: 'envoy legacy all-string', base: parse(fixture('envoy/raw-legacy-inbound.json')), render: asText, hint: 'auto' },
  {
    name: 'Fluent Bit (envelope and line)',
    base: { envelope: fluent.envelope, line: fluent.line },
    render: (v) => (isRec(v) ? fluent.render(v['line'] ?? null) : asText(v)),
    hint: 'auto',
  },
  { name: 'Vector (line)', base: vector.line, render: vector.render, hint: 'envoy' },
  { name: 'OTLP JSON', base: parse(fixture('envoy/otlp-filelog.json')), render: asText, hint: 'auto' },
  { name: 'OTel raw string literal', base: otelRaw, render: (v) => asText(asText(v)), hint: 'auto' },
  { name: 'cAdvisor', base: parse(fixture('cadvisor/containerd-app.json')), render: asText, hint: 'cadvisor' },
  { name: 'canonical sample', base: parse(fixture('sample/canonical.ndjson').split('\n')[0]!), render: asText, hint: 'auto' },
  { name: 'windows topic message', base: windowsFixture(), render: asText, hint: 'windows' },
];

function isRec(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every path of a (trusted, small) fixture, breadth first, without recursion. */
function pathsOf(root: Json): { all: Path[]; objects: Path[]; numbers: Path[]; strings: Path[] } {
  const out = { all: [] as Path[], objects: [] as Path[], numbers: [] as Path[], strings: [] as Path[] };
  const queue: [Path, Json][] = [[[], root]];
  for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
    const [path, v] = q;
    out.all.push(path);
    if (typeof v === 'number') out.numbers.push(path);
    if (typeof v === 'string') out.strings.push(path);
    if (Array.isArray(v)) v.forEach((c, i) => queue.push([[...path, i], c]));
    else if (isRec(v)) {
      out.objects.push(path);
      for (const [k, c] of Object.entries(v)) queue.push([[...path, k], c]);
    }
  }
  return out;
}

/** A copy of `root` with the value at `path` replaced (`insertKey`: a key added to the object there). */
function setAt(root: Json, path: Path, value: Json, insertKey?: string): Json {
  const copy = structuredClone(root);
  if (path.length === 0 && insertKey === undefined) return value;
  let cur: Json = copy;
  for (const k of path) cur = (cur as Record<string | number, Json>)[k] ?? null;
  if (insertKey !== undefined) {
    if (isRec(cur)) Object.defineProperty(cur, insertKey, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  const parentPath = path.slice(0, -1);
  let parent: Json = copy;
  for (const k of parentPath) parent = (parent as Record<string | number, Json>)[k] ?? null;
  const last = path[path.length - 1]!;
  if (parent !== null && typeof parent === 'object')
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const HOSTILE_NAMES = [
  'a/b/c',
  '{}',
  '{"x":1}',
  'ns:name',
  'line\nbreak',
  'nul\u0000byte',
  '\u202eevil',
  '指標/服務',
  '😀',
  '\ud800',
  '',
  ' ',
  '-',
  '__proto__',
  'constructor',
  'prototype',
  '../../etc/passwd',
  '%s%n',
  'x'.repeat(70_000),
];
const TIMESTAMPS = [
  '0001-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2099-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59.999-23:59',
  '2024-02-30T00:00:00Z',
  '2024-01-01T25:00:00Z',
  0,
  -1,
  8.64e15,
  1e300,
  4102444800000,
];
const NUMBERS = [-0, -1, 1e308, -1e308, 2 ** 64, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER + 2, 1.5, 1e-320, 4294967296];
/** Raw number texts JSON can carry (1e400 parses to Infinity) and some it cannot. */
const NUMBER_TEXTS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '-0',
  '18446744073709551616',
  '9007199254740993',
  '1e-400',
  '0x10',
  '01',
  '1.',
  '+1',
];

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, [], {}, '', '-', 'NaN', '+Inf', '-inf', '13', '-5', '1e999'),
  fc.constantFrom<Json>(...HOSTILE_NAMES),
  fc.constantFrom<Json>(...TIMESTAMPS),
  fc.constantFrom<Json>(...NUMBERS),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom<Json>({ __proto__: null, polluted: 1 } as Json, JSON.parse('{"__proto__":{"polluted":1}}') as Json),
);

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf');

type Mutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'insert'; at: number; key: string; value: Json }
  | { kind: 'deep'; at: number; depth: number; open: '[' | '{"a":' }
  | { kind: 'wide'; at: number; width: number; asObject: boolean }
  | { kind: 'huge'; at: number; chars: number; char: string }
  | { kind: 'number-text'; at: number; text: string };

type TextOp =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice-bytes'; at: number; bytes: Uint8Array }
  | { kind: 'random-bytes'; bytes: Uint8Array }
  | { kind: 'proto-text'; at: number };

const depthArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(100, 1000, 20_000, 50_000) },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      key: fc.oneof(protoKey, fc.constantFrom(...HOSTILE_NAMES.slice(0, 12))),
      value: hostileValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      at: fc.nat(),
      depth: depthArb,
      open: fc.constantFrom('[' as const, '{"a":' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('wide' as const),
      at: fc.nat(),
      width: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(9_999, 10_000, 10_001, 20_000)),
      asObject: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      at: fc.nat(),
      chars: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(400_000, 1_100_000)),
      char: fc.constantFrom('x', '指', '😀', '\\'),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('number-text' as const), at: fc.nat(), text: fc.constantFrom(...NUMBER_TEXTS) }) },
);

const textOpArb: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('splice-bytes' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random-bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('proto-text' as const), at: fc.nat() }) },
);

const MARK = '@@MUTATION@@';
const TOKEN = JSON.stringify(MARK);

/** Applies the structural mutations, renders, then splices the raw text a mutation asked for. */
function build(t: Target, muts: readonly Mutation[]): string {
  let v = t.base;
  const raws: string[] = [];
  for (const m of muts) {
    const p = pathsOf(v);
    const pick = (list: Path[]): Path => list[m.at % Math.max(list.length, 1)] ?? [];
    switch (m.kind) {
      case 'replace':
        v = setAt(v, pick(p.all), m.value);
        break;
      case 'insert':
        v = setAt(v, pick(p.objects), m.value, m.key);
        break;
      case 'deep':
      case 'wide':
      case 'huge':
      case 'number-text': {
        const path =
          m.kind === 'number-text'
            ? pick(p.numbers.length > 0 ? p.numbers : p.all)
            : m.kind === 'huge'
              ? pick(p.strings.length > 0 ? p.strings : p.all)
              : pick(p.all);
        raws.push(rawFor(m));
        v = setAt(v, path, MARK);
        break;
      }
    }
  }
  let text = t.render(v);
  // The render may escape the token (embedded lines): splice into whichever form it took.
  for (const raw of raws) {
    const i = text.indexOf(TOKEN);
    if (i >= 0) text = text.slice(0, i) + raw + text.slice(i + TOKEN.length);
    else {
      const escaped = JSON.stringify(TOKEN).slice(1, -1);
      const j = text.indexOf(escaped);
      if (j >= 0) text = text.slice(0, j) + JSON.stringify(raw).slice(1, -1) + text.slice(j + escaped.length);
    }
  }
  return text;
}

function rawFor(m: Mutation): string {
  switch (m.kind) {
    case 'deep':
      return `${m.open.repeat(m.depth)}1${(m.open === '[' ? ']' : '}').repeat(m.depth)}`;
    case 'wide':
      return m.asObject ? `{${Array.from({ length: m.width }, (_, i) => `"k${i}":0`).join(',')}}` : `[${'0,'.repeat(m.width - 1)}0]`;
    case 'huge':
      return JSON.stringify(m.char.repeat(m.chars));
    case 'number-text':
      return m.text;
    case 'replace':
    case 'insert':
      return 'null';
  }
}

function applyTextOp(text: string, op: TextOp): Uint8Array {
  switch (op.kind) {
    case 'none':
      return enc.encode(text);
    case 'truncate':
      return enc.encode(text.slice(0, op.at % (text.length + 1)));
    case 'splice-bytes': {
      const b = enc.encode(text);
      const at = op.at % (b.length + 1);
      const out = new Uint8Array(b.length + op.bytes.length);
      out.set(b.subarray(0, at));
      out.set(op.bytes, at);
      out.set(b.subarray(at), at + op.bytes.length);
      return out;
    }
    case 'random-bytes':
      return op.bytes;
    case 'proto-text': {
      // `{"__proto__":…,` after some opening brace, as raw text (JSON.parse makes it an own key).
      const braces = [...text.matchAll(/\{/g)].map((m) => m.index);
      const at = braces.length === 0 ? 0 : braces[op.at % braces.length]! + 1;
      return enc.encode(
        `${text.slice(0, at)}"__proto__":{"polluted":1,"name":"evil","start_time":"2099-01-01T00:00:00Z"},${text.slice(at)}`,
      );
    }
  }
}

const KNOWN = new Set(Object.keys(ErrorCodes));
const MAX_TS = 253_402_300_799_999;
const opts = (hint: DecoderHint): DecodeOptions => ({ hint, maxBytes: 1024 * 1024 });

/** Numbers an accepted observation carries are finite; event times are 1970..9999. */
function checkObservation(o: Observation): void {
  const ts = o.kind === 'request' ? o.request.ts : o.kind === 'container' ? o.stats.ts : o.sample.ts;
  expect(ts >= 0 && ts <= MAX_TS).toBe(true);
  const nums =
    o.kind === 'request'
      ? [o.request.status, o.request.durationMs, o.request.bytesReceived, o.request.bytesSent]
      : o.kind === 'container'
        ? [...Object.values(o.stats.counters), ...Object.values(o.stats.gauges)]
        : [o.sample.value];
  for (const n of nums) expect(Number.isFinite(n)).toBe(true);
  expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
}

function checkResult(r: DecodeResult | ReturnType<typeof parseWindowsMessage>): void {
  if (r.ok) {
    if ('observations' in r.value) r.value.observations.forEach(checkObservation);
    return;
  }
  expect(KNOWN.has(r.error.code)).toBe(true);
  expect(r.error.code, r.error.reason).not.toBe('MW_DECODE_INTERNAL');
  expect(typeof r.error.reason).toBe('string');
  expect(r.error.reason.length).toBeGreaterThan(0);
  expect(r.error.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
}

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const stats = { runs: 0, ok: 0, rejected: new Map<string, number>() };

describe('decoder fuzz', () => {
  afterAll(() => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toStrictEqual(prototypeBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(stats.runs).toBeGreaterThanOrEqual(10_000);
  });

  test.each(TARGETS)('$name: $hint', (t) => {
    expect(() => pathsOf(t.base)).not.toThrow();
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 0, maxLength: 3 }), textOpArb, (muts, op) => {
        stats.runs++;
        const bytes = applyTextOp(build(t, muts), op);
        if (t.hint === 'windows') {
          const r = parseWindowsMessage(lenient.decode(bytes));
          checkResult(r);
          if (r.ok) stats.ok++;
          else stats.rejected.set(r.error.code, (stats.rejected.get(r.error.code) ?? 0) + 1);
          return;
        }
        const r = decodeBytes(bytes, opts(t.hint));
        checkResult(r);
        checkResult(decode(lenient.decode(bytes), opts(t.hint)));
        if (r.ok) stats.ok++;
        else stats.rejected.set(r.error.code, (stats.rejected.get(r.error.code) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS_PER_TARGET },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toStrictEqual(prototypeBefore);
  });

  test('the fuzz exercised rejections of every hardening code', () => {
    console.log(`fuzz: ${stats.runs} records, ${stats.ok} decoded, rejected ${JSON.stringify(Object.fromEntries(stats.rejected))}`);
    for (const code of [
      'MW_DECODE_TOO_DEEP',
      'MW_DECODE_TOO_WIDE',
      'MW_DECODE_NOT_TEXT',
      'MW_DECODE_TRUNCATED',
      'MW_DECODE_BAD_VALUE',
      'MW_DECODE_BAD_TIMESTAMP',
      'MW_DECODE_TOO_LARGE',
    ])
      expect(stats.rejected.get(code) ?? 0, code).toBeGreaterThan(0);
    expect(stats.ok).toBeGreaterThan(0);
  });
});
