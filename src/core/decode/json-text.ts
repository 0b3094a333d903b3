/**
 * Untrusted text -> a JSON value, as a Result: the only place decoders turn text into values.
 *
 * Before JSON.parse, one linear, non-recursive scan (`scanJson`) refuses structures that could
 * blind or stop a consumer later (a recursive walk, a JSON.stringify in a log line):
 * - MW_DECODE_TOO_DEEP: objects/arrays nested deeper than `limits.maxDepth`;
 * - MW_DECODE_TOO_WIDE: one object/array with more than `limits.maxWidth` members.
 * Then:
 * - MW_DECODE_TRUNCATED: the text ends inside a string or with brackets still open, and every
 *   bracket closed so far matched (a prefix of a JSON document cut off by a size limit, a partial
 *   container log line, a producer that died mid-write);
 * - MW_DECODE_INVALID_JSON: anything else that does not parse, including empty text.
 * The decision comes from scanning the text, never from the engine's error message (which is
 * only echoed, clipped, in the reason for humans). Reasons never quote more than `CLIP_CHARS`
 * characters of input (`quote`).
 */
import { type Result, fail, ok } from '../result.js';

export interface JsonLimits {
  /** Deepest allowed nesting of objects/arrays (the root container is depth 1). */
  maxDepth: number;
  /** Most members allowed in one object or array. */
  maxWidth: number;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = { maxDepth: 32, maxWidth: 10_000 };

/** The most characters of untrusted input a reason ever quotes. */
export const CLIP_CHARS = 200;

/** Untrusted text for a reason: clipped to `max` characters, then JSON-quoted (no control chars). */
export function quote(s: string, max = CLIP_CHARS): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** `where` names the text in the reason: `(message)`, `log`, `…body.stringValue`. */
export function parseJson(text: string, where: string, limits: Readonly<JsonLimits> = DEFAULT_JSON_LIMITS): Result<unknown> {
  const shape = scanJson(text, limits);
  if (shape === 'deep') return fail('MW_DECODE_TOO_DEEP', `${where}: JSON nests deeper than ${limits.maxDepth} levels`);
  if (shape === 'wide') return fail('MW_DECODE_TOO_WIDE', `${where}: a JSON object or array has more than ${limits.maxWidth} members`);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e: unknown) {
    const engine = e instanceof Error ? e.message : String(e);
    const said = engine.length > CLIP_CHARS ? `${engine.slice(0, CLIP_CHARS)}…` : engine;
    if (text.trim() === '') return fail('MW_DECODE_INVALID_JSON', `${where}: empty text`);
    if (looksCutOff(text)) {
      return fail(
        'MW_DECODE_TRUNCATED',
        `${where}: JSON ends after ${text.length} characters with a string or bracket still open (${said})`,
      );
    }
    return fail('MW_DECODE_INVALID_JSON', `${where}: ${said}`);
  }
}

/**
 * One pass over the text outside strings: `deep` as soon as nesting passes `maxDepth`, `wide` as
 * soon as one container passes `maxWidth` members (commas at its level + 1), else undefined.
 * Brackets need not match (JSON.parse judges validity); only the limits are decided here.
 */
export function scanJson(text: string, limits: Readonly<JsonLimits>): 'deep' | 'wide' | undefined {
  const { maxDepth, maxWidth } = limits;
  // Fast path (most records): nesting never exceeds the number of openers anywhere in the text,
  // and a container of more than maxWidth members needs more than maxWidth characters.
  if (text.length <= maxWidth && countUpTo(text, '{', maxDepth) + countUpTo(text, '[', maxDepth) <= maxDepth) return undefined;
  // commas[d] = commas seen so far in the open container at depth d (1-based; 0 = outside any).
  const commas = new Int32Array(maxDepth + 2);
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote: one not preceded by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return undefined;
        let back = 0;
        while (text.charCodeAt(j - 1 - back) === 0x5c /* \ */) back++;
        if ((back & 1) === 0) break;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return 'deep';
      commas[depth] = 0;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth > 0) depth--;
    } else if (c === 0x2c /* , */ && depth > 0) {
      const seen = (commas[depth] ?? 0) + 1;
      if (seen >= maxWidth) return 'wide';
      commas[depth] = seen;
    }
  }
  return undefined;
}

/** Occurrences of `c` in `text`, counting stops past `max`. */
function countUpTo(text: string, c: string, max: number): number {
  let n = 0;
  for (let i = text.indexOf(c); i >= 0 && n <= max; i = text.indexOf(c, i + 1)) n++;
  return n;
}

/** True when the text ends inside a string or an object/array whose openers all matched so far. */
export function looksCutOff(text: string): boolean {
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) open.push(0x7d);
    else if (c === 0x5b /* [ */) open.push(0x5d);
    else if ((c === 0x7d || c === 0x5d) && open.pop() !== c) return false;
  }
  return inString || open.length > 0;
}
