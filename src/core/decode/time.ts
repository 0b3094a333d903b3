/**
 * RFC 3339 / ISO 8601 timestamps -> epoch milliseconds, without `Date.parse`'s
 * implementation-defined leniency.
 *
 * Accepts `YYYY-MM-DD(T|t| )hh:mm[:ss[.fraction]][Z|±hh:mm|±hhmm|±hh]`:
 * - a fraction of any length (Go trims trailing zeros; cAdvisor sends nanoseconds) is TRUNCATED
 *   to whole milliseconds, never rounded (so a sample never moves into the next window);
 * - any zone offset is applied; no zone at all is taken as UTC (NAB timestamps carry none);
 * - out-of-range fields (month 13, Feb 30, 25h) and times before 1970 (Go's zero time
 *   `0001-01-01T00:00:00Z` means "unset") give `undefined`.
 */

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : (MONTH_DAYS[m - 1] ?? 0));

/** The decimal number in `s[i, i+n)`, or -1 if any of those is not a digit (or is past the end). */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

const isDigitAt = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

// Hand-rolled (no regex, no substrings): this runs once per record on every decoder's hot path.
export function parseTimestampMs(s: string): number | undefined {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const sep = s.charAt(10);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return undefined;
  if (s.charAt(4) !== '-' || s.charAt(7) !== '-' || (sep !== 'T' && sep !== 't' && sep !== ' ') || s.charAt(13) !== ':') return undefined;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charAt(i) === ':') {
    second = digits(s, i + 1, 2);
    if (second < 0) return undefined;
    i += 3;
    const dot = s.charAt(i);
    if (dot === '.' || dot === ',') {
      const start = ++i;
      for (; isDigitAt(s, i); i++) if (i - start < 3) ms = ms * 10 + s.charCodeAt(i) - 48;
      if (i === start) return undefined;
      for (let n = i - start; n < 3; n++) ms *= 10;
    }
  }
  let offsetMin = 0;
  const zone = s.charAt(i);
  if (zone === 'Z' || zone === 'z') {
    i++;
  } else if (zone === '+' || zone === '-') {
    const oh = digits(s, i + 1, 2);
    i += 3;
    const colon = s.charAt(i) === ':';
    if (colon) i++;
    const om = colon || i < s.length ? digits(s, i, 2) : 0;
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    if (i < s.length) i += 2;
    offsetMin = (zone === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (i !== s.length) return undefined;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return t >= 0 ? t : undefined;
}
