import { type ErrorCode } from '../errors.js';

/** Expected outcomes are values: decoders and parsers return a Result, never throw on bad input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: Problem };

/** Why a record was rejected: a stable code and a human reason (field path where known). */
export interface Problem {
  code: ErrorCode;
  reason: string;
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, reason: string): Result<T> => ({ ok: false, error: { code, reason } });
