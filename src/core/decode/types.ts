import { type Observation } from '../model.js';
import { type Problem } from '../result.js';

/** The decoders meshwatch has; `auto` recognises each record's kind by itself. */
export const DECODER_NAMES = ['sample', 'cadvisor', 'envoy'] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];
export type DecoderHint = DecoderName | 'auto';

export interface DecodeOptions {
  /** Which decoder the source topic implies; `auto` sniffs the record. */
  hint: DecoderHint;
  /** Messages longer than this (UTF-16 code units of the text) are rejected as MW_DECODE_TOO_LARGE. */
  maxBytes: number;
  /** Istio logs and metrics exist on both sides of a hop; which side's record to keep for edges. */
  cluster?: string;
}

/** What one message decoded to: zero or more observations (an OTLP batch holds many). */
export interface Decoded {
  decoder: DecoderName;
  observations: Observation[];
  /** Records skipped by design (root/QoS/pod cgroups, non-access-log OTLP records), not errors. */
  ignored: number;
}

export type DecodeResult = { ok: true; value: Decoded } | { ok: false; error: Problem & { decoder: DecoderName | 'auto' } };
