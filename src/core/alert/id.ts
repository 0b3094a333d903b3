/**
 * Deterministic episode ids: FNV-1a 64-bit over the episode's identity, so a replay
 * after a crash re-emits the same id (and PagerDuty's dedup_key stays the same).
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * FNV_PRIME) & MASK;
  }
  return h.toString(16).padStart(16, '0');
}

export const episodeId = (serviceKey: string, kind: string, subject: string, startsAtMs: number): string =>
  `mw-${fnv1a64(`${serviceKey}\u0000${kind}\u0000${subject}\u0000${startsAtMs}`)}`;
