/**
 * Stage 2's reports of what it could not keep, for the detect worker (runtime/detect.ts):
 * refusals by a bound (`dropped{stage=detect, reason=MW_LIMIT_EXCEEDED, bound}`; the
 * `cardinality` alert carries the same news) and windows lost (partials late, windows closed
 * early; the `data_loss` alert). Each kind is counted as it happens and said in one line at most
 * once a minute (processing time).
 */
import { type Bound, type ServiceAdmission } from '../core/pipeline/admission.js';
import { type DetectStepResult } from '../core/pipeline/steps.js';
import { type Counters } from '../telemetry/counters.js';

/** Each kind of report is logged at most this often (processing time). */
const REPORT_EVERY_MS = 60_000;

const noBounds = (): Record<Bound, number> => ({ services: 0, peers: 0, edges: 0, containers: 0, metrics: 0 });

export class DetectReports {
  /** The admission's refusals already counted, and those counted since the last log line. */
  private readonly refusalsCounted = noBounds();
  private readonly refusalsUnlogged = noBounds();
  private refusalsLoggedAt = -Infinity;
  private lossUnlogged = { late: 0, early: 0 };
  private lossLoggedAt = -Infinity;

  constructor(
    private readonly admission: ServiceAdmission,
    private readonly counters: Counters,
    private readonly warn: ((line: string) => void) | undefined,
  ) {}

  /** Counts what the bounds refused since the last call and says so, at most once a minute. */
  refusals(now: number): void {
    let fresh = false;
    for (const bound of Object.keys(this.refusalsCounted) as Bound[]) {
      const n = this.admission.refusedTotal[bound] - this.refusalsCounted[bound];
      if (n <= 0) continue;
      this.refusalsCounted[bound] += n;
      this.refusalsUnlogged[bound] += n;
      this.counters.add('dropped', n, { stage: 'detect', reason: 'MW_LIMIT_EXCEEDED', bound });
      fresh = true;
    }
    if (!fresh || now - this.refusalsLoggedAt < REPORT_EVERY_MS || !this.warn) return;
    const parts = (Object.entries(this.refusalsUnlogged) as [Bound, number][]).filter(([, n]) => n > 0).map(([b, n]) => `${n} ${b}`);
    this.warn(
      `MW_LIMIT_EXCEEDED: bounds refused ${parts.join(', ')} since the last report (services held ${this.admission.held} of ${this.admission.params.maxServices}); see the cardinality alert`,
    );
    for (const b of Object.keys(this.refusalsUnlogged) as Bound[]) this.refusalsUnlogged[b] = 0;
    this.refusalsLoggedAt = now;
  }

  /** One line at most once a minute when windows closed early or partials came late (counted by the caller). */
  loss(step: DetectStepResult, now: number): void {
    this.lossUnlogged.late += step.late;
    this.lossUnlogged.early += step.closedEarly;
    const { late, early } = this.lossUnlogged;
    if ((late === 0 && early === 0) || now - this.lossLoggedAt < REPORT_EVERY_MS || !this.warn) return;
    this.warn(
      `MW_WINDOW_LATE: ${late} partials came after their window closed, ${early} windows closed early (bounds.maxPendingWindows) since the last report`,
    );
    this.lossUnlogged = { late: 0, early: 0 };
    this.lossLoggedAt = now;
  }
}
