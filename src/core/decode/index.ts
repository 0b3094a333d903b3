/**
 * decode: one Kafka message -> zero or more Observations, or a Problem with a stable code.
 *
 * `decodeBytes` takes the message value as bytes (what Kafka delivers), `decode` as text (a
 * replay line). Steps, each failing with its own code (and `decoder` = the hint, or `auto`
 * before dispatch):
 * 1. size: more than `opts.maxBytes` UTF-8 bytes -> MW_DECODE_TOO_LARGE, unconverted, unparsed;
 *    bytes that are not UTF-8 (binary, a compressed payload) -> MW_DECODE_NOT_TEXT;
 * 2. depth/width scan (`opts.maxJsonDepth`, `opts.maxJsonWidth`) -> MW_DECODE_TOO_DEEP /
 *    MW_DECODE_TOO_WIDE; then JSON.parse once -> MW_DECODE_INVALID_JSON, or MW_DECODE_TRUNCATED
 *    when the text is cut off (json-text.ts); embedded lines get the same guarded parse;
 * 3. dispatch on `opts.hint`, or sniff under `auto` (first match wins):
 *    `container_stats` -> cadvisor; `commonProperties`/`httpLogs`/`tcpLogs` (either spelling) ->
 *    als; `labels` + string `value` + `timestamp` -> prometheus; a JSON string literal (OTel raw),
 *    `resourceLogs` (OTLP/JSON), an access-log object, a `log` (Fluent Bit) or `message`
 *    (Vector) string -> envoy; a `metric` key -> sample. Text that does not start like a JSON
 *    object or string is first tried as a TEXT access log (`opts.textFormats`, text-log.ts)
 *    under `auto`/`envoy`; a line that reads past `%START_TIME%` but then diverges is
 *    MW_DECODE_TEXT_MISMATCH, anything else goes on to JSON.parse. Nothing matches (or the hinted decoder does not recognise the
 *    record) -> MW_DECODE_UNKNOWN_FORMAT;
 * 4. the decoder: MW_DECODE_SCHEMA / BAD_VALUE / BAD_TIMESTAMP / NO_IDENTITY, with field paths.
 * Records skipped by design (aggregate cgroups, non-access-log lines) are counted in `ignored`.
 * `opts.cluster`, when set, is stamped on services named from Kubernetes/Docker metadata
 * (cAdvisor containers, the pod that logged a request), not on peers or canonical samples.
 * Reasons are bounded: they quote at most ~200 characters of input, never a whole value.
 * A decoder that throws (a bug) still yields a Problem, MW_DECODE_INTERNAL, so the record is a
 * DLQ letter and the consumer goes on.
 * Pure: no I/O, no clock; never throws on bad input.
 */
import { type ErrorCode } from '../../errors.js';
import { decodeCadvisor, isCadvisor } from './cadvisor.js';
import { type Obj, type Part, isObj, typeName } from './fields.js';
import { type JsonLimits, CLIP_CHARS, DEFAULT_JSON_LIMITS, parseJson, quote } from './json-text.js';
import { decodeSample, isSample } from './sample.js';
import { decodeAls, isAls } from './als.js';
import { decodePrometheus, isPromSample } from './prometheus.js';
import { decodeEnvoyMessage, isEnvoyMessage } from './shippers.js';
import { DEFAULT_TEXT_FORMATS } from './text-format.js';
import { decodeTextLog } from './text-log.js';
import { type Result } from '../result.js';
import { DECODER_NAMES, type DecodeOptions, type DecodeResult, type Decoded, type DecoderHint, type DecoderName } from './types.js';

export { DECODER_NAMES, type DecodeOptions, type DecodeResult, type Decoded, type DecoderHint, type DecoderName };

interface Decoder {
  /** Recognises a parsed message as this decoder's format (cheap, key presence only). */
  sniff: (v: unknown) => boolean;
  run: (v: unknown, opts: DecodeOptions, limits: Readonly<JsonLimits>) => Result<Part>;
  /** What `sniff` looks for, for UNKNOWN_FORMAT reasons. */
  expects: string;
}

const DECODERS: Readonly<Record<DecoderName, Decoder>> = {
  cadvisor: { sniff: isCadvisor, run: (v, o) => decodeCadvisor(v as Obj, o.cluster), expects: 'an object with container_stats' },
  envoy: {
    sniff: isEnvoyMessage,
    run: (v, o, limits) => decodeEnvoyMessage(v, o.cluster, limits, o.textFormats ?? DEFAULT_TEXT_FORMATS),
    expects: 'an access log, a Fluent Bit/Vector record (log/message string), an OTLP logs document or a JSON string literal',
  },
  sample: { sniff: isSample, run: (v) => decodeSample(v as Obj), expects: 'an object with ts, service, metric, value' },
  als: {
    sniff: isAls,
    run: (v, o) => decodeAls(v as Obj, o.cluster),
    expects: 'an Envoy ALS HTTPAccessLogEntry/TCPAccessLogEntry or StreamAccessLogsMessage in proto3 JSON',
  },
  prometheus: {
    sniff: isPromSample,
    run: (v, o) => decodePrometheus(v as Obj, { cluster: o.cluster, state: o.series }),
    expects: 'a prometheus-kafka-adapter sample with labels, timestamp and a string value',
  },
};

/** Sniff order under `auto`: the most specific markers first. */
const AUTO_ORDER: readonly DecoderName[] = ['cadvisor', 'als', 'prometheus', 'envoy', 'sample'];

const failure = (decoder: DecoderHint, code: ErrorCode, reason: string): DecodeResult => ({ ok: false, error: { code, reason, decoder } });

function describe(v: unknown): string {
  if (!isObj(v)) return `a JSON ${typeName(v)}`;
  const keys = Object.keys(v);
  const shown = keys
    .slice(0, 8)
    .map((k) => (k.length > 40 ? quote(k, 40) : k))
    .join(', ');
  return keys.length === 0 ? 'an empty object' : `an object with keys ${shown}${keys.length > 8 ? ', …' : ''}`;
}

/** The first character that is not whitespace ('' for blank text). */
function firstChar(text: string): string {
  for (let i = 0; i < text.length && i < 64; i++) {
    const c = text.charAt(i);
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return c;
  }
  return '';
}

/** UTF-8 decoding that refuses invalid sequences instead of inserting U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One Kafka message value: size in bytes first, then UTF-8, then `decode`. */
export function decodeBytes(value: Uint8Array | null | undefined, opts: DecodeOptions): DecodeResult {
  if (value === null || value === undefined) return failure(opts.hint, 'MW_DECODE_INVALID_JSON', '(message): no value (a tombstone)');
  if (value.byteLength > opts.maxBytes) {
    return failure(opts.hint, 'MW_DECODE_TOO_LARGE', `(message): ${value.byteLength} bytes, limit ${opts.maxBytes}`);
  }
  let text: string;
  try {
    text = UTF8.decode(value);
  } catch {
    return failure(opts.hint, 'MW_DECODE_NOT_TEXT', `(message): ${value.byteLength} bytes that are not valid UTF-8 text (binary?)`);
  }
  return decodeText(text, opts);
}

/**
 * The UTF-8 length of `text` (a lone surrogate counts as U+FFFD, 3 bytes), or any number above
 * `limit` as soon as the length passes it. No allocation.
 */
export function utf8Length(text: string, limit: number): number {
  const n = text.length;
  if (n > limit) return n;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > limit) return bytes;
  }
  return bytes;
}

/** One message as text (a replay line): its UTF-8 size is what `opts.maxBytes` limits. */
export function decode(text: string, opts: DecodeOptions): DecodeResult {
  // At most 3 UTF-8 bytes per UTF-16 code unit: short texts need no count.
  if (text.length * 3 > opts.maxBytes && utf8Length(text, opts.maxBytes) > opts.maxBytes) {
    return failure(
      opts.hint,
      'MW_DECODE_TOO_LARGE',
      `(message): ${text.length} characters, more than ${opts.maxBytes} bytes of UTF-8 (the limit)`,
    );
  }
  return decodeText(text, opts);
}

/**
 * The safety net: a decoder that throws on a record is a meshwatch bug, but the record must
 * still become a DLQ letter (MW_DECODE_INTERNAL, the error's name and clipped message), never
 * a stopped consumer. The fuzz asserts no record takes this path.
 */
function decodeText(text: string, opts: DecodeOptions): DecodeResult {
  try {
    return decodeParsed(text, opts);
  } catch (e: unknown) {
    const what = e instanceof Error ? `${e.name}: ${e.message}` : typeof e;
    return failure(opts.hint, 'MW_DECODE_INTERNAL', `(message): a decoder failed on this record (${what.slice(0, CLIP_CHARS)})`);
  }
}

function decodeParsed(text: string, opts: DecodeOptions): DecodeResult {
  const limits: JsonLimits =
    opts.maxJsonDepth === undefined && opts.maxJsonWidth === undefined
      ? DEFAULT_JSON_LIMITS
      : {
          maxDepth: opts.maxJsonDepth ?? DEFAULT_JSON_LIMITS.maxDepth,
          maxWidth: opts.maxJsonWidth ?? DEFAULT_JSON_LIMITS.maxWidth,
        };
  const first = firstChar(text);
  let notText: string | undefined;
  if (first !== '{' && first !== '"' && (opts.hint === 'auto' || opts.hint === 'envoy')) {
    const t = decodeTextLog(text, '(message)', undefined, opts.cluster, opts.textFormats ?? DEFAULT_TEXT_FORMATS);
    if (!t.notAccessLog) {
      if (!t.result.ok) return { ok: false, error: { ...t.result.error, decoder: 'envoy' } };
      return { ok: true, value: { decoder: 'envoy', observations: [{ kind: 'request', request: t.result.value }], ignored: 0 } };
    }
    notText = t.mismatch.reason;
  }
  const parsed = parseJson(text, '(message)', limits);
  if (!parsed.ok) {
    const reason = notText === undefined ? parsed.error.reason : `${parsed.error.reason}; nor a text access log (${notText})`;
    return { ok: false, error: { ...parsed.error, reason, decoder: opts.hint } };
  }
  const v = parsed.value;

  let name: DecoderName | undefined;
  if (opts.hint === 'auto') {
    name = AUTO_ORDER.find((n) => DECODERS[n].sniff(v));
    if (name === undefined) return failure('auto', 'MW_DECODE_UNKNOWN_FORMAT', `(message): ${describe(v)} matches no decoder`);
  } else {
    name = opts.hint;
    const d = DECODERS[name];
    if (!d.sniff(v))
      return failure(name, 'MW_DECODE_UNKNOWN_FORMAT', `(message): ${describe(v)} is not a ${name} record (expected ${d.expects})`);
  }

  const r = DECODERS[name].run(v, opts, limits);
  if (!r.ok) return { ok: false, error: { ...r.error, decoder: name } };
  const decoded: Decoded = { decoder: name, observations: r.value.observations, ignored: r.value.ignored };
  return { ok: true, value: decoded };
}
