/**
 * The webhook signature: HMAC-SHA256 with the shared secret over `<timestamp>.<body>`
 * (the timestamp in Unix seconds, as sent in `x-meshwatch-timestamp`), hex, sent as
 * `x-meshwatch-signature: sha256=<hex>`. A receiver recomputes it over the raw body,
 * compares in constant time and refuses old timestamps (a replayed request).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-meshwatch-signature';
export const TIMESTAMP_HEADER = 'x-meshwatch-timestamp';

export function signatureOf(secret: string, timestampS: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
}

/** Whether `signature` is the one `secret` gives for this timestamp and body (constant time). */
export function verifySignature(secret: string, timestampS: string, body: string, signature: string): boolean {
  if (!/^\d{1,12}$/.test(timestampS)) return false;
  const want = Buffer.from(signatureOf(secret, Number(timestampS), body), 'utf8');
  const got = Buffer.from(signature, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}
