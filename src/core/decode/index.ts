/**
 * decode: one Kafka message's text -> zero or more Observations, or a Problem with a stable code.
 *
 * Steps, each failing with its own code (and `decoder` = the hint, or `auto` before dispatch):
 * 1. size: `text.length` (UTF-16 code units) > `opts.maxBytes` -> MW_DECODE_TOO_LARGE, unparsed;
 * 2. JSON.parse once -> MW_DECODE_INVALID_JSON, or MW_DECODE_TRUNCATED when the text is cut off;
 * 3. dispatch on `opts.hint`, or sniff under `auto` (first match wins):
 *    `container_stats` -> cadvisor; a JSON string literal (OTel raw), `resourceLogs` (OTLP/JSON),
 *    an access-log object, a `log` (Fluent Bit) or `message` (Vector) string -> envoy;
 *    a `metric` key -> sample. Nothing matches (or the hinted decoder does not recognise the
 *    record) -> MW_DECODE_UNKNOWN_FORMAT;
 * 4. the decoder: MW_DECODE_SCHEMA / BAD_VALUE / BAD_TIMESTAMP / NO_IDENTITY, with field paths.
 * Records skipped by design (aggregate cgroups, non-access-log lines) are counted in `ignored`.
 * `opts.cluster`, when set, is stamped on services named from Kubernetes/Docker metadata
 * (cAdvisor containers, the pod that logged a request), not on peers or canonical samples.
 * Pure: no I/O, no clock; never throws on bad input.
 */
import { type ErrorCode } from '../../errors.js';
import { decodeCadvisor, isCadvisor } from './cadvisor.js';
import { type Obj, type Part, isObj, typeName } from './fields.js';
import { parseJson } from './json-text.js';
import { decodeSample, isSample } from './sample.js';
import { decodeEnvoyMessage, isEnvoyMessage } from './shippers.js';
import { type Result } from '../result.js';
import { DECODER_NAMES, type DecodeOptions, type DecodeResult, type Decoded, type DecoderHint, type DecoderName } from './types.js';

export { DECODER_NAMES, type DecodeOptions, type DecodeResult, type Decoded, type DecoderHint, type DecoderName };

interface Decoder {
  /** Recognises a parsed message as this decoder's format (cheap, key presence only). */
  sniff: (v: unknown) => boolean;
  run: (v: unknown, cluster: string | undefined) => Result<Part>;
  /** What `sniff` looks for, for UNKNOWN_FORMAT reasons. */
  expects: string;
}

const DECODERS: Readonly<Record<DecoderName, Decoder>> = {
  cadvisor: { sniff: isCadvisor, run: (v, cluster) => decodeCadvisor(v as Obj, cluster), expects: 'an object with container_stats' },
  envoy: {
    sniff: isEnvoyMessage,
    run: decodeEnvoyMessage,
    expects: 'an access log, a Fluent Bit/Vector record (log/message string), an OTLP logs document or a JSON string literal',
  },
  sample: { sniff: isSample, run: (v) => decodeSample(v as Obj), expects: 'an object with ts, service, metric, value' },
};

/** Sniff order under `auto`: the most specific markers first. */
const AUTO_ORDER: readonly DecoderName[] = ['cadvisor', 'envoy', 'sample'];

const failure = (decoder: DecoderHint, code: ErrorCode, reason: string): DecodeResult => ({ ok: false, error: { code, reason, decoder } });

function describe(v: unknown): string {
  if (!isObj(v)) return `a JSON ${typeName(v)}`;
  const keys = Object.keys(v);
  const shown = keys.slice(0, 8).join(', ');
  return keys.length === 0 ? 'an empty object' : `an object with keys ${shown}${keys.length > 8 ? ', …' : ''}`;
}

export function decode(text: string, opts: DecodeOptions): DecodeResult {
  if (text.length > opts.maxBytes) {
    return failure(opts.hint, 'MW_DECODE_TOO_LARGE', `(message): ${text.length} characters, limit ${opts.maxBytes}`);
  }
  const parsed = parseJson(text, '(message)');
  if (!parsed.ok) return { ok: false, error: { ...parsed.error, decoder: opts.hint } };
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

  const r = DECODERS[name].run(v, opts.cluster);
  if (!r.ok) return { ok: false, error: { ...r.error, decoder: name } };
  const decoded: Decoded = { decoder: name, observations: r.value.observations, ignored: r.value.ignored };
  return { ok: true, value: decoded };
}
