/**
 * One JSON POST with a bound, classified the way every HTTP sink needs it:
 * - 2xx: delivered;
 * - 408, 429, 5xx, a timeout or a network error: retriable (MW_SINK_DELIVERY), with the
 *   server's Retry-After (seconds or an HTTP date) as `retryAfterMs` when it sent one;
 * - any other status: permanent (MW_SINK_REJECTED), carrying the start of the answer.
 * Messages name the endpoint by scheme, host and path only (never userinfo or query), and
 * every secret the caller names is replaced by `***` in them.
 */
import { MeshwatchError } from '../../errors.js';
import { type Delivery } from '../../runtime/ports.js';

export interface PostOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Names the service in messages (`Alertmanager`, `webhook`). */
  service: string;
  /** Texts that must never appear in a message (keys, tokens). */
  secrets?: readonly string[];
  /** Clock for an HTTP-date Retry-After (tests pin it). */
  now?: () => number;
}

/** Longest part of an answer kept in an error (characters). */
export const MAX_REASON_CHARS = 2000;
/** A Retry-After longer than this is taken as this (a day). */
const MAX_RETRY_AFTER_MS = 86_400_000;

export async function postJson(o: PostOptions): Promise<Delivery> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...o.headers },
      body: o.body,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    text = await res.text();
  } catch (cause) {
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    const why = timedOut ? `no answer within ${o.timeoutMs} ms` : describeError(cause);
    return failure('MW_SINK_DELIVERY', `${o.service} ${endpointOf(o.url)}: ${why}`, o.secrets);
  }
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const reason = text.trim() === '' ? '' : `: ${text.trim().slice(0, MAX_REASON_CHARS)}`;
  const why = `${o.service} ${endpointOf(o.url)} answered ${res.status}${reason}`;
  const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
  if (!retriable) return failure('MW_SINK_REJECTED', why, o.secrets);
  const after = retryAfterMs(res.headers.get('retry-after'), (o.now ?? Date.now)());
  return failure('MW_SINK_DELIVERY', why, o.secrets, after);
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const h = header.trim();
  if (/^\d+$/.test(h)) return Math.min(Number(h) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP date starts with the day's name (`Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete forms).
  const at = /^[A-Za-z]{3}/.test(h) ? Date.parse(h) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

export function failure(
  code: 'MW_SINK_DELIVERY' | 'MW_SINK_REJECTED',
  message: string,
  secrets: readonly string[] = [],
  retryAfter?: number,
): Delivery {
  const retriable = code === 'MW_SINK_DELIVERY';
  const error = new MeshwatchError(code, scrubAll(message, secrets), { retriable });
  return retryAfter === undefined ? { ok: false, retriable, error } : { ok: false, retriable, error, retryAfterMs: retryAfter };
}

export function scrubAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/** Scheme, host and path of a URL (never its userinfo or query). */
export function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'endpoint';
  }
}

export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return `${e.message}${cause}`;
}
