/**
 * Spike and drop: the deviation detector's episodes (detect/deviation.ts judges each window).
 *
 * Claim: an episode fires when the metric has been anomalous in the same direction for
 * `persistWindows` consecutive windows, or at once when the window is anomalous by the burst
 * test (it already spans three windows) or by the drift test after 16 windows inside the band
 * (its average spans many windows; right after an anomaly it still holds that anomaly's windows:
 * see detect/drift.ts driftIsOwn), or when one anomalous window (by any test) is a record
 * (detect/records.ts) or strong in a series that does not blip (detect/point.ts) while another
 * signal of the service moves with it (detect/corroboration.ts: a lone metric's single window
 * needs persistence). A series that jumps far as a habit (detect/habit.ts) fires only while
 * another signal of the service moves with it, or once it has lasted one window longer than
 * `persistWindows` (a habit is of single far windows, not of runs). It resolves
 * after `resolveWindows` consecutive windows back inside the band (detect/episode.ts).
 */
import { type Episode, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type Baseline } from '../baseline/record.js';
import { type DetectionParams } from '../params.js';
import { type Detector } from './detector.js';
import { type Verdict, hasWidth } from './deviation.js';
import { driftIsOwn } from './drift.js';
import { isHabitual, withJump } from './habit.js';
import { isStrong } from './point.js';
import { isRecord } from './records.js';
import { fromScale } from './scale.js';

type Anomalous = Extract<Verdict, { status: 'anomalous' }>;

/**
 * One window is enough when its test already spans several windows (a burst; a drift the
 * series' own, not what an anomaly that just ended left behind), when it is a record, or when
 * it is strong in a series that does not blip, and another signal of the service moves with it.
 */
export const firesAtOnce = (v: Anomalous, b: Baseline, y: number, d: DetectionParams, corroborated = true): boolean =>
  v.test === 'burst' ||
  (v.test === 'drift' && driftIsOwn(b)) ||
  (corroborated && (isRecord(b, y - v.band.value, d) || isStrong(b, v.z, d)));

const KINDS = ['spike', 'drop'] as const;

export const spikeDropDetector: Detector = {
  name: 'deviation',
  kinds: KINDS,
  metric(m, ctx, book) {
    const { verdict: v, prev: b, next, metric, policy, x } = m;
    const d = ctx.d;
    const atOnce = v.status === 'anomalous' && firesAtOnce(v, b, m.y, d, m.corroborated);
    // The window an excursion reaches an episode's bar: counted in the series' habit (detect/habit.ts).
    const reached =
      d.corroboration !== 'off' && v.status === 'anomalous' && (atOnce ? b.run === 0 : Math.abs(next.run) === d.persistWindows);
    const habitual = v.status === 'anomalous' && isHabitual(b, ctx.windowStart, ctx.windowMs, d);
    if (reached) m.next = withJump(m.next, b, ctx.windowStart, ctx.windowMs, d);
    for (const kind of KINDS) {
      const active = v.status === 'anomalous' && (v.direction === 'up') === (kind === 'spike');
      // The common window: nothing to fire, hold or resolve (step would return at once).
      if (!active && book.quiet) continue;
      const runLength = Math.abs(next.run) || Math.abs(b.run) + 1;
      book.step(
        `${kind}:${metric}`,
        active,
        active && (runLength >= d.persistWindows || atOnce) && (m.corroborated || !habitual || runLength > d.persistWindows),
        (): Episode => {
          const a = v as Anomalous;
          const startsAt = next.runStart >= 0 ? next.runStart : ctx.windowStart;
          return {
            id: episodeId(ctx.svc, kind, metric, startsAt),
            kind,
            metric,
            startsAt,
            calm: 0,
            severity: severityOf(kind, metric, a.score),
            score: a.score,
            observed: x,
            expected: {
              value: fromScale(policy, a.band.value),
              lower: fromScale(policy, a.band.lower),
              upper: fromScale(policy, a.band.upper),
            },
          };
        },
        v.status === 'anomalous'
          ? { z: hasWidth(v.band) ? round(v.z) : null, test: v.test, windows_learned: b.n }
          : { z: null, windows_learned: b.n },
        x,
      );
    }
  },
};

export const round = (x: number): number => Math.round(x * 1000) / 1000;
