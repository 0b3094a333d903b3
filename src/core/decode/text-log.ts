/**
 * One text access-log line (a bare Kafka message, or the `log`/`message`/`stringValue` a
 * shipper wrapped it in) -> one RequestRecord, through the first format that matches
 * (text-format.ts) and the JSON access-log decoder (envoy.ts).
 *
 * Outcomes:
 * - a format matches: the access-log decoder's Result (BAD_TIMESTAMP, BAD_VALUE, NO_IDENTITY…
 *   with the line's path); NO_IDENTITY says what to add to the format;
 * - no format gets past its first operator (`%START_TIME%` in the defaults): `notAccessLog`, the
 *   caller decides (a shipper's Envoy warning line is ignored, a bare message tries JSON);
 * - a format reads its first operator but fails later: MW_DECODE_TEXT_MISMATCH naming the
 *   operator where the line stopped matching (the best attempt of all formats).
 * Emitting pod: the shipper's, else `%ENVIRONMENT(POD_NAME)%` + `%ENVIRONMENT(POD_NAMESPACE)%`.
 */
import { type RequestRecord } from '../model.js';
import { type Result, fail } from '../result.js';
import { decodeAccessLog } from './envoy.js';
import { type PodRef } from './identity.js';
import { type TextFormat, type TextMismatch, matchTextLine } from './text-format.js';

export type TextOutcome = { notAccessLog: true; mismatch: TextMismatch } | { notAccessLog: false; result: Result<RequestRecord> };

/** What a user adds to a custom format so meshwatch can attribute lines without shipper metadata. */
export const IDENTITY_HINT =
  'add %ENVIRONMENT(POD_NAME)% and %ENVIRONMENT(POD_NAMESPACE)% to the log format, or ship with Kubernetes metadata';

export function decodeTextLog(
  line: string,
  where: string,
  pod: PodRef | undefined,
  cluster: string | undefined,
  formats: readonly TextFormat[],
): TextOutcome {
  let best: TextMismatch = { operator: -1, reason: 'no log format configured' };
  for (const format of formats) {
    const m = matchTextLine(line, format);
    if (!m.ok) {
      if (m.mismatch.operator > best.operator || best.operator < 0) best = m.mismatch;
      continue;
    }
    const podName = m.fields['pod_name'];
    const podNs = m.fields['pod_namespace'];
    const own: PodRef | undefined = podName && podNs && podName !== '-' && podNs !== '-' ? { namespace: podNs, pod: podName } : undefined;
    const r = decodeAccessLog(m.fields, where, pod ?? own, cluster);
    if (!r.ok && r.error.code === 'MW_DECODE_NO_IDENTITY') {
      return { notAccessLog: false, result: fail('MW_DECODE_NO_IDENTITY', `${r.error.reason}; ${IDENTITY_HINT}`) };
    }
    return { notAccessLog: false, result: r };
  }
  if (best.operator <= 0) return { notAccessLog: true, mismatch: best };
  return {
    notAccessLog: false,
    result: fail('MW_DECODE_TEXT_MISMATCH', `${where}: not an access log in the configured text format: ${best.reason}`),
  };
}
