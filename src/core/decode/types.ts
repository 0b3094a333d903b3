import { type Observation } from '../model.js';
import { type Problem } from '../result.js';
import { type SeriesState } from './series-state.js';
import { type TextFormat } from './text-format.js';

/** The decoders meshwatch has; `auto` recognises each record's kind by itself. */
export const DECODER_NAMES = ['sample', 'cadvisor', 'envoy', 'als', 'prometheus'] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];
export type DecoderHint = DecoderName | 'auto';

export interface DecodeOptions {
  /** Which decoder the source topic implies; `auto` sniffs the record. */
  hint: DecoderHint;
  /** Messages of more than this many bytes (UTF-8 of the text) are rejected as MW_DECODE_TOO_LARGE. */
  maxBytes: number;
  /** Deepest JSON nesting accepted (MW_DECODE_TOO_DEEP beyond); default 32. */
  maxJsonDepth?: number;
  /** Most members of one JSON object/array accepted (MW_DECODE_TOO_WIDE beyond); default 10,000. */
  maxJsonWidth?: number;
  /** Istio logs and metrics exist on both sides of a hop; which side's record to keep for edges. */
  cluster?: string;
  /** Text access-log formats tried in order (default: Istio's, then Envoy's; text-format.ts). */
  textFormats?: readonly TextFormat[];
  /** Stage-1 counter state for Prometheus samples (one per ingest worker); without it Istio counters are ignored. */
  series?: SeriesState;
}

/** What one message decoded to: zero or more observations (an OTLP batch holds many). */
export interface Decoded {
  decoder: DecoderName;
  observations: Observation[];
  /** Records skipped by design (root/QoS/pod cgroups, non-access-log OTLP records), not errors. */
  ignored: number;
}

export type DecodeResult = { ok: true; value: Decoded } | { ok: false; error: Problem & { decoder: DecoderName | 'auto' } };
