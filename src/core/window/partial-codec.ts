/**
 * Reading partials off the internal topic. They are written by meshwatch itself, but the
 * topic is shared infrastructure: anything malformed is refused as a value (it goes to
 * the DLQ), never trusted, so a poison partial can never throw inside a window close.
 * Identities (the service, edge peers) pass the same check as the decoders' (`validateServiceId`):
 * empty -> MW_DECODE_NO_IDENTITY, too long or control characters -> MW_DECODE_BAD_IDENTITY.
 * The text passes the decoders' depth/width scan before JSON.parse (MW_DECODE_TOO_DEEP /
 * MW_DECODE_TOO_WIDE) and reasons quote at most ~200 characters of it (key paths included).
 */
import { z } from 'zod';
import { validateServiceId } from '../decode/identity.js';
import { type JsonLimits, CLIP_CHARS, scanJson } from '../decode/json-text.js';
import { type Result, fail, ok } from '../result.js';
import { type WindowPartial, edgeKey } from './partial.js';

/**
 * Every number of a partial: finite and within ±1e21, far above any real figure (a cumulative
 * ns counter stays under 2^63 ≈ 9.2e18) and far below where summing a few of them overflows
 * to Infinity in a merge.
 */
const PARTIAL_ABS_MAX = 1e21;
const finite = z.number().finite().min(-PARTIAL_ABS_MAX).max(PARTIAL_ABS_MAX);
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
  input: z.object({ source: z.string().min(1).max(512), from: nonneg, to: nonneg }).optional(),
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
  /**
   * Stage 1's processing time when it wrote the report (absent from older writers). Stage 2
   * judges a source idle or silent on this clock, in the order the reports were written, so a
   * stage 2 working through a backlog of the windows topic decides as one that keeps up.
   */
  atMs?: number | undefined;
}

const WatermarkSchema = z.object({
  v: z.literal(1),
  type: z.literal('watermark'),
  source: z.string().min(1),
  eventTimeMs: finite.nullable(),
  caughtUp: z.boolean(),
  atMs: finite.nonnegative().optional(),
});

export type WindowsMessage = { type: 'partial'; partial: WindowPartial } | SourceWatermark;

/** A partial nests 7 levels (containers → counters → span → point); maps may be wide. */
const WINDOWS_JSON_LIMITS: Readonly<JsonLimits> = { maxDepth: 16, maxWidth: 100_000 };

const clip = (s: string): string => (s.length > CLIP_CHARS ? `${s.slice(0, CLIP_CHARS)}…` : s);

/** JSON.parse behind the depth/width scan; `what` names the message in reasons. */
function parseGuarded(text: string, what: string): Result<unknown> {
  const shape = scanJson(text, WINDOWS_JSON_LIMITS);
  if (shape === 'deep') return fail('MW_DECODE_TOO_DEEP', `${what} nests deeper than ${WINDOWS_JSON_LIMITS.maxDepth} levels`);
  if (shape === 'wide')
    return fail('MW_DECODE_TOO_WIDE', `${what} has an object or array of more than ${WINDOWS_JSON_LIMITS.maxWidth} members`);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return fail('MW_DECODE_INVALID_JSON', `${what} is not valid JSON`);
  }
}

/** Any message of the windows topic: a partial, or a source watermark. */
export function parseWindowsMessage(text: string): Result<WindowsMessage> {
  const parsed = parseGuarded(text, 'windows message');
  if (!parsed.ok) return parsed;
  const x = parsed.value;
  if (typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'watermark') {
    const w = WatermarkSchema.safeParse(x);
    return w.success ? ok(w.data) : fail('MW_DECODE_SCHEMA', `source watermark: ${clip(w.error.issues[0]?.message ?? 'invalid')}`);
  }
  const p = validatePartial(x);
  return p.ok ? ok({ type: 'partial', partial: p.value }) : p;
}

export function parsePartial(text: string): Result<WindowPartial> {
  const parsed = parseGuarded(text, 'window partial');
  return parsed.ok ? validatePartial(parsed.value) : parsed;
}

function validatePartial(x: unknown): Result<WindowPartial> {
  const r = PartialSchema.safeParse(x);
  if (!r.success) {
    const i = r.error.issues[0];
    return fail('MW_DECODE_SCHEMA', `window partial: ${i ? `${clip(i.path.join('.')) || '(root)'}: ${clip(i.message)}` : 'invalid'}`);
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
