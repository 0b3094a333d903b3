/**
 * STUB — replaced at merge. Same names and signatures as `decodeBytes` in
 * src/core/decode/index.ts and `EventTimeGuard`/`TimeGuardParams`/`DEFAULT_TIME_GUARD` in
 * src/core/window/time-guard.ts (decoder hardening and event-time guard), which the step
 * functions call. At merge: import those from their modules and delete this file.
 *
 * decodeBytes: a byte-length check before any text decoding, then UTF-8 text → decode.
 * EventTimeGuard (reduced): refuses an event time that is not finite, or (live only) is
 * more than `maxFutureMs` ahead of or `maxAgeMs` behind processing time, with
 * MW_EVENT_TIME_SKEW. The full guard also bounds jumps against each source's recent time.
 */
import { decode } from '../decode/index.js';
import { type DecodeOptions, type DecodeResult } from '../decode/types.js';
import { type Problem } from '../result.js';

export function decodeBytes(value: Uint8Array | null | undefined, opts: DecodeOptions): DecodeResult {
  if (value === null || value === undefined) {
    return { ok: false, error: { code: 'MW_DECODE_INVALID_JSON', reason: '(message): no value (a tombstone)', decoder: opts.hint } };
  }
  if (value.byteLength > opts.maxBytes) {
    return {
      ok: false,
      error: { code: 'MW_DECODE_TOO_LARGE', reason: `(message): ${value.byteLength} bytes, limit ${opts.maxBytes}`, decoder: opts.hint },
    };
  }
  return decode(new TextDecoder().decode(value), opts);
}

export interface TimeGuardParams {
  maxFutureMs: number;
  maxAgeMs: number;
  maxJumpMs: number;
  reanchorRecords: number;
}

export const DEFAULT_TIME_GUARD: Readonly<TimeGuardParams> = {
  maxFutureMs: 15 * 60_000,
  maxAgeMs: 7 * 86_400_000,
  maxJumpMs: 3_600_000,
  reanchorRecords: 16,
};

export class EventTimeGuard {
  constructor(private readonly params: TimeGuardParams) {}

  check(source: string, tsMs: number, nowMs: number | undefined): Problem | undefined {
    if (!Number.isFinite(tsMs)) return { code: 'MW_EVENT_TIME_SKEW', reason: `${source}: event time ${tsMs} is not a time` };
    if (nowMs === undefined) return undefined;
    if (tsMs > nowMs + this.params.maxFutureMs) {
      return { code: 'MW_EVENT_TIME_SKEW', reason: `${source}: event time ${tsMs} is ${tsMs - nowMs} ms ahead of processing time` };
    }
    if (tsMs < nowMs - this.params.maxAgeMs) {
      return { code: 'MW_EVENT_TIME_SKEW', reason: `${source}: event time ${tsMs} is ${nowMs - tsMs} ms behind processing time` };
    }
    return undefined;
  }
}
