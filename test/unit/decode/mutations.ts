/**
 * Mutations of valid records for the decoder fuzz (fuzz.test.ts): structural ones on the parsed
 * value (replace, insert hostile keys, deep, wide, huge, raw number texts) and text/byte ones on
 * the rendered message (truncate, splice bytes, random bytes, a raw `__proto__` key).
 */
import fc from 'fast-check';
import { type DecoderHint } from '../../../src/core/decode/index.js';

const enc = new TextEncoder();

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Path = (string | number)[];

/** A target: a valid value, how it becomes a message, and which entry point reads it. */
export interface Target {
  name: string;
  base: Json;
  render: (v: Json) => string;
  hint: DecoderHint | 'windows';
}

export const parse = (text: string): Json => JSON.parse(text) as Json;
export const asText = (v: Json): string => JSON.stringify(v);

export function isRec(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every path of a (trusted, small) fixture, breadth first, without recursion. */
export function pathsOf(root: Json): { all: Path[]; objects: Path[]; numbers: Path[]; strings: Path[] } {
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
export function setAt(root: Json, path: Path, value: Json, insertKey?: string): Json {
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

export const HOSTILE_NAMES = [
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
export const TIMESTAMPS = [
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
export const NUMBERS = [-0, -1, 1e308, -1e308, 2 ** 64, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER + 2, 1.5, 1e-320, 4294967296];
/** Raw number texts JSON can carry (1e400 parses to Infinity) and some it cannot. */
export const NUMBER_TEXTS = [
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

export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, [], {}, '', '-', 'NaN', '+Inf', '-inf', '13', '-5', '1e999'),
  fc.constantFrom<Json>(...HOSTILE_NAMES),
  fc.constantFrom<Json>(...TIMESTAMPS),
  fc.constantFrom<Json>(...NUMBERS),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom<Json>({ __proto__: null, polluted: 1 } as Json, JSON.parse('{"__proto__":{"polluted":1}}') as Json),
);

export const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf');

export type Mutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'insert'; at: number; key: string; value: Json }
  | { kind: 'deep'; at: number; depth: number; open: '[' | '{"a":' }
  | { kind: 'wide'; at: number; width: number; asObject: boolean }
  | { kind: 'huge'; at: number; chars: number; char: string }
  | { kind: 'number-text'; at: number; text: string };

export type TextOp =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice-bytes'; at: number; bytes: Uint8Array }
  | { kind: 'random-bytes'; bytes: Uint8Array }
  | { kind: 'proto-text'; at: number };

export const depthArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(100, 1000, 20_000, 50_000) },
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
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

export const textOpArb: fc.Arbitrary<TextOp> = fc.oneof(
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

export const MARK = '@@MUTATION@@';
export const TOKEN = JSON.stringify(MARK);

/** Applies the structural mutations, renders, then splices the raw text a mutation asked for. */
export function build(t: Target, muts: readonly Mutation[]): string {
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

export function rawFor(m: Mutation): string {
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

export function applyTextOp(text: string, op: TextOp): Uint8Array {
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
