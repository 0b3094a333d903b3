/**
 * JSON.parse once, as a Result: the only place decoders turn text into values.
 *
 * Failure modes:
 * - MW_DECODE_TRUNCATED: the text ends inside a string or with brackets still open, and every
 *   bracket closed so far matched (a prefix of a JSON document cut off by a size limit, a partial
 *   container log line, a producer that died mid-write);
 * - MW_DECODE_INVALID_JSON: anything else that does not parse, including empty text.
 * The decision comes from scanning the text, never from the engine's error message (which is
 * only echoed in the reason for humans).
 */
import { type Result, fail, ok } from '../result.js';

/** `where` names the text in the reason: `(message)`, `log`, `…body.stringValue`. */
export function parseJson(text: string, where: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e: unknown) {
    const engine = e instanceof Error ? e.message : String(e);
    if (text.trim() === '') return fail('MW_DECODE_INVALID_JSON', `${where}: empty text`);
    if (looksCutOff(text)) {
      return fail(
        'MW_DECODE_TRUNCATED',
        `${where}: JSON ends after ${text.length} characters with a string or bracket still open (${engine})`,
      );
    }
    return fail('MW_DECODE_INVALID_JSON', `${where}: ${engine}`);
  }
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
