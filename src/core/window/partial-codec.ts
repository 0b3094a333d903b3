/**
 * Reading partials off the internal topic. They are written by meshwatch itself, but the
 * topic is shared infrastructure: anything malformed is refused as a value (it goes to
 * the DLQ), never trusted, so a poison partial can never throw inside a window close.
 * Identities (the service, edge peers) pass the same check as the decoders' (`validateServiceId`):
 * empty -> MW_DECODE_NO_IDENTITY, too long or control characters -> MW_DECODE_BAD_IDENTITY.
 */
import { z } from 'zod';
import { validateServiceId } from '../decode/identity.js';
import { type Result, fail, ok } from '../result.js';
import { type WindowPartial, edgeKey } from './partial.js';

const finite = z.number().finite();
const nonneg = finite.nonnegative();
const service = z.object({ namespace: z.string().min(1), name: z.string().min(1), cluster: z.string().min(1).optional() });
const gauge = z.object({ n: nonneg, sum: finite, min: finite, max: finite });
const point = z.object({ ts: finite, v: finite });
const span = z.object({ first: point, last: point });

const PartialSchema = z.object({
  v: z.literal(1),
  service,
  windowStart: finite,
  windowMs: finite.positive(),
  requests: z
    .object({
      n: nonneg,
      errors: nonneg,
      bytesIn: nonneg,
      bytesOut: nonneg,
      latencyMs: z.object({ n: nonneg, zero: nonneg, buckets: z.record(z.string().regex(/^-?\d+$/), nonneg) }),
    })
    .optional(),
  gauges: z.record(z.string(), gauge),
  containers: z.record(z.string(), z.object({ gauges: z.record(z.string(), gauge), counters: z.record(z.string(), span) })),
  edges: z.record(
    z.string(),
    z.object({ direction: z.enum(['inbound', 'outbound']), peer: service, requests: nonneg, errors: nonneg, bytes: nonneg }),
  ),
  overflow: nonneg.default(0),
});

/**
 * Stage 1's progress report for one raw source partition, sent to every partition of the
 * windows topic after the partials of a batch: event time reached, and whether that
 * source has no backlog left.
 */
export interface SourceWatermark {
  v: 1;
  type: 'watermark';
  source: string;
  /** null: assigned, no data seen yet. */
  eventTimeMs: number | null;
  caughtUp: boolean;
}

const WatermarkSchema = z.object({
  v: z.literal(1),
  type: z.literal('watermark'),
  source: z.string().min(1),
  eventTimeMs: finite.nullable(),
  caughtUp: z.boolean(),
});

export type WindowsMessage = { type: 'partial'; partial: WindowPartial } | SourceWatermark;

/** Any message of the windows topic: a partial, or a source watermark. */
export function parseWindowsMessage(text: string): Result<WindowsMessage> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    return fail('MW_DECODE_INVALID_JSON', 'windows message is not valid JSON');
  }
  if (typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'watermark') {
    const w = WatermarkSchema.safeParse(x);
    return w.success ? ok(w.data) : fail('MW_DECODE_SCHEMA', `source watermark: ${w.error.issues[0]?.message ?? 'invalid'}`);
  }
  const p = validatePartial(x);
  return p.ok ? ok({ type: 'partial', partial: p.value }) : p;
}

export function parsePartial(text: string): Result<WindowPartial> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    return fail('MW_DECODE_INVALID_JSON', 'window partial is not valid JSON');
  }
  return validatePartial(x);
}

function validatePartial(x: unknown): Result<WindowPartial> {
  const r = PartialSchema.safeParse(x);
  if (!r.success) {
    const i = r.error.issues[0];
    return fail('MW_DECODE_SCHEMA', `window partial: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid'}`);
  }
  const p = r.data as WindowPartial;
  const named = validateIdentities(p);
  return named.ok ? ok(p) : fail(named.error.code, `window partial: ${named.error.reason}`);
}

/**
 * The service and every edge's peer pass the decoders' identity check (identity.ts), and every
 * edge sits under the key stage 1 gives it (`out:`/`in:` + `serviceKey(peer)`), so one peer can
 * never hold two entries that merge apart.
 */
function validateIdentities(p: WindowPartial): Result<WindowPartial> {
  const s = validateServiceId(p.service, 'service');
  if (!s.ok) return s;
  for (const [key, edge] of Object.entries(p.edges)) {
    const path = `edges[${JSON.stringify(key.slice(0, 64))}]`;
    const e = validateServiceId(edge.peer, `${path}.peer`);
    if (!e.ok) return e;
    if (key !== edgeKey(edge.direction, edge.peer)) return fail('MW_DECODE_SCHEMA', `${path}: key does not match its direction and peer`);
  }
  return ok(p);
}
