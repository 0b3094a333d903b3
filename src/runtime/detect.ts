/**
 * Stage 2 (`--role detect`): stateful per partition of `meshwatch.windows`, run as a cache
 * over durable state (like a Kafka Streams task). For each assigned partition an engine
 * holds the services of that partition; their state is loaded from the store the first
 * time a service is seen (one batched load per Kafka batch). Per batch: merge partials →
 * close windows past the watermark → deliver alerts (AlertSink) → save changed state →
 * commit. The committed offset never passes a partial whose window is still open, so the
 * store plus the topic from the committed offset rebuild the in-memory state exactly.
 *
 * Failure: when a delivery, load, save or commit fails (in the batch path or the idle-close
 * path), the partition's in-memory engine is thrown away and the consumer seeks back to the
 * last committed offset; the re-read reloads state from the store and closes the same
 * windows again, producing the same alerts with the same ids. Alerts the sink already
 * acknowledged (a save that failed after a delivery) are remembered (bounded) and not
 * delivered twice. Re-reads back off exponentially per partition (200 ms … 5 s). A
 * permanent delivery error (not retriable) is fatal. Every (re)join of the group drops all
 * partitions' state too: kafkajs restarts fetching at the committed offsets then.
 *
 * A processing-time timer closes the open windows of partitions that went quiet. Quiet is
 * not unreadable: the timer first asks the broker how far each windows partition goes, and
 * closes nothing in a partition with records not read yet, nor anything at all while the
 * broker does not answer within `PROBE_MS` (down, or unreachable); after such an outage the
 * sources get `window.sourceSilenceMs` to report again before it closes anything: an outage
 * is every source's silence, and what stage 1 could not send meanwhile belongs to windows
 * that are still open.
 */
import { type Config } from '../config/schema.js';
import { alertEnrichmentOf, engineParamsOf } from '../config/derive.js';
import { enrichAlert } from '../core/alert/links.js';
import { type Alert, AlertSchema } from '../core/alert/schema.js';
import { ServiceAdmission } from '../core/pipeline/admission.js';
import { DetectEngine, admissionParamsOf } from '../core/pipeline/engine.js';
import { type ServiceState, emptyServiceState } from '../core/pipeline/service-state.js';
import { type DetectStepResult, detectStep, idleCloseStep } from '../core/pipeline/steps.js';
import { parseServiceKey, serviceKey } from '../core/model.js';
import { type ProfileLookup } from '../core/profile/enforce.js';
import { type WindowsMessage, parseWindowsMessage } from '../core/window/partial-codec.js';
import { MeshwatchError } from '../errors.js';
import { type StateStore } from '../stores/types.js';
import { type Counters } from '../telemetry/counters.js';
import { type ConsumeLoop, type OnFatal } from './consume-loop.js';
import { type AlertSink, type IncidentSink, type OutRecord, type SourceBatch, type StormLedger } from './ports.js';
import { type Incident, IncidentSchema } from '../core/incident/schema.js';
import { withStorms } from '../core/incident/ledger.js';
import { DetectReports } from './detect-reports.js';

interface PartitionState {
  engine: DetectEngine;
  /** Partials still in open windows: `service|windowStart` → lowest offset. */
  open: Map<string, bigint>;
  /** Next offset to commit once nothing older is open. */
  next: bigint;
  committed: bigint;
  lastDataAt: number;
  /** Newest stage-1 report time read on this partition: the clock of its batch path. */
  reportClock: number;
}

export interface DetectWorkerOptions {
  /** Called for every alert after the sink acknowledged it (demo and tests listen here). */
  onAlert?: (a: Alert) => void;
  now?: () => number;
  /** Back-off before a partition is re-read after a failure (ms; default 200 doubling to 5000). */
  backoffMs?: { first: number; max: number };
  /** One line when a bound refused input (at most once per `REFUSAL_LOG_MS`); default: none. */
  onWarning?: (message: string) => void;
  /** The declared profiles in force (runtime/profiles.ts); none when absent. */
  profiles?: ProfileLookup;
  /** Called with the state after each window closed, once the batch's effects are durable (the page's recent windows). */
  onWindows?: (states: readonly ServiceState[]) => void;
  /** Where service and storm incidents go, and the storm guard's shared ledger (default: incidents not published). */
  incidents?: { sink: IncidentSink; ledger: StormLedger };
  /** Called with the windows (service key, window start) a step closed, once their state is saved (the debug log). */
  onClosed?: (closed: readonly (readonly [string, number])[]) => void;
}

/** Alerts acknowledged by the sink, remembered so a re-read does not deliver them twice. */
const DELIVERED_MEMORY = 50_000;
const BACKOFF_MS = { first: 200, max: 5000 };
/** The broker's answer on the windows topic's end offsets, before an idle close, is due within this long (else: an outage). */
const PROBE_MS = 3000;

const deliveredKey = (a: Alert): string => `${a.id}|${a.status}|${a.window.start}`;
const incidentKey = (i: Incident): string => `${i.id}|r${i.revision}|${i.storm ?? ''}`;

export class DetectWorker {
  private readonly partitions = new Map<number, PartitionState>();
  /** Where a partition's re-read starts: its last commit, or the first offset read since assignment. */
  private readonly resumeAt = new Map<number, bigint>();
  /** Consecutive resets per partition (back-off). */
  private readonly failures = new Map<number, number>();
  private readonly delivered = new Set<string>();
  /** One admission for every engine of this process: the bound on services is per process. */
  private readonly admission: ServiceAdmission;
  /** What the bounds refused and the windows lost, counted and reported at most once a minute. */
  private readonly reports: DetectReports;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** The timer closes nothing before this (the sources' grace after an outage). */
  private idleHeldUntil = -Infinity;

  /** `rawSources`: every raw input partition (`topic/partition`); each must report before windows close. */
  constructor(
    private readonly loop: ConsumeLoop,
    private readonly sink: AlertSink,
    private readonly store: StateStore,
    private readonly config: Readonly<Config>,
    private readonly counters: Counters,
    private readonly rawSources: readonly string[],
    private readonly onFatal: OnFatal,
    private readonly opts: DetectWorkerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.admission = new ServiceAdmission(admissionParamsOf(engineParamsOf(config)));
    this.reports = new DetectReports(this.admission, counters, opts.onWarning);
  }

  async start(): Promise<void> {
    this.loop.source.onAssignment(() => {
      // Reading restarts at the committed offsets after every join: state is rebuilt from there.
      void this.loop.exclusive(() => {
        for (const ps of this.partitions.values()) ps.engine.releaseAll();
        this.partitions.clear();
        this.resumeAt.clear();
        return Promise.resolve();
      });
    });
    await this.loop.run((batch) => this.onBatch(batch));
    const tick = Math.max(100, Math.min(this.config.window.idleCloseMs / 4, 5000));
    this.timer = setInterval(() => void this.loop.exclusive(() => this.closeIdle()).catch((e: unknown) => this.fatal(e)), tick);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.loop.stop();
    await this.sink.close();
  }

  /** Keys of the services this worker holds in memory now, over all its partitions (the state query). */
  heldKeys(): string[] {
    return [...this.partitions.values()].flatMap((ps) => ps.engine.keys());
  }

  /** A held service's state as of its last closed window; undefined when no partition holds it. */
  heldState(serviceKey: string): ServiceState | undefined {
    for (const ps of this.partitions.values()) {
      const s = ps.engine.stateOf(serviceKey);
      if (s) return s;
    }
    return undefined;
  }

  private partition(p: number, firstOffset: bigint): PartitionState {
    let s = this.partitions.get(p);
    if (!s) {
      if (!this.resumeAt.has(p)) this.resumeAt.set(p, firstOffset);
      const now = this.now();
      s = {
        engine: new DetectEngine(
          this.opts.profiles ? { ...engineParamsOf(this.config), profiles: this.opts.profiles } : engineParamsOf(this.config),
          this.admission,
        ),
        open: new Map(),
        next: -1n,
        committed: this.resumeAt.get(p) ?? -1n,
        lastDataAt: now,
        reportClock: -Infinity,
      };
      for (const source of this.rawSources) s.engine.expectSource(source, now);
      this.partitions.set(p, s);
    }
    return s;
  }

  private async onBatch(batch: SourceBatch): Promise<void> {
    if (!batch.isCurrent()) return;
    const ps = this.partition(batch.partition, BigInt(batch.records[0]!.offset));
    const dead: OutRecord[] = [];
    const messages: WindowsMessage[] = [];
    const offsets: bigint[] = [];
    for (const m of batch.records) {
      const r = parseWindowsMessage(m.value ? m.value.toString('utf8') : '');
      if (!r.ok) {
        dead.push(this.loop.reject(batch, m, r.error, 'partial'));
        continue;
      }
      messages.push(r.value);
      offsets.push(BigInt(m.offset));
    }

    await this.guarded(batch.partition, async () => {
      const partials = messages.flatMap((m) => (m.type === 'partial' ? [m.partial] : []));
      const missing = ps.engine.missing(partials);
      if (missing.length) {
        const loaded = await this.store.load(missing);
        for (const k of missing) ps.engine.adopt(loaded.get(k) ?? emptyServiceState(parseServiceKey(k)));
      }
      // Sources are judged idle or silent on the clock of stage 1's reports, read in the order
      // they were written: a backlog here must not make every source look idle.
      for (const m of messages) if (m.type === 'watermark' && m.atMs !== undefined && m.atMs > ps.reportClock) ps.reportClock = m.atMs;
      const step = detectStep(ps.engine, messages, { nowMs: Number.isFinite(ps.reportClock) ? ps.reportClock : this.now() });
      step.offered.forEach((o, i) => {
        const m = messages[i];
        if (o !== 'accepted' || m?.type !== 'partial') return;
        const k = `${serviceKey(m.partial.service)}|${m.partial.windowStart}`;
        const offset = offsets[i] as bigint;
        const cur = ps.open.get(k);
        if (cur === undefined || offset < cur) ps.open.set(k, offset);
      });
      this.counters.add('dropped', step.late, { stage: 'detect', reason: 'MW_WINDOW_LATE' });
      if (step.duplicates) this.counters.add('dropped', step.duplicates, { stage: 'detect', reason: 'duplicate' });
      ps.next = BigInt(batch.records[batch.records.length - 1]!.offset) + 1n;
      if (partials.length) ps.lastDataAt = this.now();
      if (dead.length) await this.loop.sendDeadLetters(dead);
      await this.publish(step);
      await this.commit(batch.topic, batch.partition, ps);
    });
  }

  /**
   * Processing-time close, for partitions with open windows and no data for idleCloseMs: the
   * watermark moves on with processing time (sources that went idle or silent stop holding
   * windows), and once the whole input is quiet the last windows close too. A partition that
   * merely waits on a slow ingest (its sources not caught up, or caught up moments ago and
   * still reporting) keeps its windows: closing them would drop that ingest's partials as late.
   */
  private async closeIdle(): Promise<void> {
    const now = this.now();
    if (now < this.idleHeldUntil) return;
    const quiet = [...this.partitions].filter(([, ps]) => ps.open.size > 0 && now - ps.lastDataAt >= this.config.window.idleCloseMs);
    if (quiet.length === 0) return;
    const ends = await this.windowsEnds();
    if (!ends) return;
    for (const [partition, ps] of quiet) {
      if ((ends.get(partition) ?? 0n) > ps.next) continue;
      await this.guarded(partition, async () => {
        await this.publish(idleCloseStep(ps.engine, now));
        await this.commit(this.config.kafka.topics.windows, partition, ps);
      });
    }
  }

  /**
   * The end offset of each windows partition, or undefined when the broker did not answer
   * within PROBE_MS: then the timer holds off for `window.sourceSilenceMs` after it answers again.
   */
  private async windowsEnds(): Promise<Map<number, bigint> | undefined> {
    const asked = this.now();
    try {
      const positions = await this.loop.source.positions([this.config.kafka.topics.windows]);
      if (this.now() - asked <= PROBE_MS) return new Map(positions.map((p) => [p.partition, p.high]));
    } catch {
      // Unreachable: the same hold as a slow answer.
    }
    this.idleHeldUntil = this.now() + this.config.window.sourceSilenceMs;
    return undefined;
  }

  /**
   * Runs one step of a partition; a retriable failure drops the partition's state and has the
   * source re-read it from its last commit (after a back-off); a permanent one is thrown.
   */
  private async guarded(partition: number, step: () => Promise<void>): Promise<void> {
    try {
      await step();
      this.failures.delete(partition);
    } catch (e) {
      const retriable = e instanceof MeshwatchError ? e.retriable : (e as { retriable?: unknown } | null)?.retriable === true;
      if (!retriable) throw e;
      this.counters.add('errors', 1, { stage: 'detect', code: e instanceof MeshwatchError ? e.code : 'MW_KAFKA_UNAVAILABLE' });
      this.counters.add('resets', 1, { stage: 'detect' });
      this.partitions.get(partition)?.engine.releaseAll();
      this.partitions.delete(partition);
      const n = (this.failures.get(partition) ?? 0) + 1;
      this.failures.set(partition, n);
      const b = this.opts.backoffMs ?? BACKOFF_MS;
      const waitMs = Math.min(b.first * 2 ** (n - 1), b.max);
      if (waitMs > 0) await sleep(waitMs);
      const at = this.resumeAt.get(partition);
      if (at !== undefined && at >= 0n) this.loop.rewind(this.config.kafka.topics.windows, partition, at);
    }
  }

  /**
   * Reports the closed windows to the storm ledger and delivers the held service incidents it
   * released, the batch's service incidents it did not hold (with their storm) and the storm
   * documents; those acknowledged before are not sent again.
   */
  private async publishIncidents(step: DetectStepResult): Promise<void> {
    const inc = this.opts.incidents;
    if (!inc || (step.incidents.length === 0 && step.closed.length === 0)) return;
    const r = await inc.ledger.step(step.closed, step.incidents);
    if (step.incidents.length === 0 && r.storms.length === 0 && r.released.length === 0) return;
    const docs = withStorms(step.incidents, r)
      .map((i) => IncidentSchema.parse(i))
      .filter((i) => !this.delivered.has(incidentKey(i)));
    if (docs.length === 0) return;
    const d = await inc.sink.deliver(docs);
    if (!d.ok) throw d.retriable ? d.error : new MeshwatchError(d.error.code, d.error.message, { cause: d.error, retriable: false });
    for (const i of docs) {
      this.remember(incidentKey(i));
      this.counters.add('incidents', 1, { scope: i.scope, change: i.change });
    }
  }

  /** Delivers the closed windows' alerts (those not acknowledged before), then saves the changed state. */
  private async publish(step: DetectStepResult): Promise<void> {
    this.counters.add('windows', step.windowsClosed, { stage: 'detect' });
    if (step.closedEarly) this.counters.add('dropped', step.closedEarly, { stage: 'detect', reason: 'MW_WINDOW_CLOSED_EARLY' });
    this.reports.loss(step, this.now());
    this.reports.refusals(this.now());
    const enrichment = alertEnrichmentOf(this.config);
    const alerts = step.alerts
      .map((a) => AlertSchema.parse(enrichAlert(a, enrichment)))
      .filter((a) => !this.delivered.has(deliveredKey(a)));
    if (alerts.length) {
      const d = await this.sink.deliver(alerts);
      if (!d.ok) throw d.retriable ? d.error : new MeshwatchError(d.error.code, d.error.message, { cause: d.error, retriable: false });
      for (const a of alerts) {
        this.remember(deliveredKey(a));
        this.counters.add('alerts', 1, { kind: a.kind, status: a.status });
        this.opts.onAlert?.(a);
      }
    }
    await this.publishIncidents(step);
    await this.store.save(step.dirty);
    if (step.states.length) this.opts.onWindows?.(step.states);
    if (step.closed.length) this.opts.onClosed?.(step.closed);
  }

  private remember(key: string): void {
    this.delivered.add(key);
    if (this.delivered.size > DELIVERED_MEMORY) {
      const oldest = this.delivered.values().next();
      if (!oldest.done) this.delivered.delete(oldest.value);
    }
  }

  private async commit(topic: string, partition: number, ps: PartitionState): Promise<void> {
    for (const k of [...ps.open.keys()]) {
      const bar = k.lastIndexOf('|');
      if (!ps.engine.isPending(k.slice(0, bar), Number(k.slice(bar + 1)))) ps.open.delete(k);
    }
    let upTo = ps.next;
    for (const o of ps.open.values()) if (o < upTo) upTo = o;
    if (upTo > ps.committed && upTo >= 0n) {
      await this.loop.commit(topic, partition, upTo);
      ps.committed = upTo;
      this.resumeAt.set(partition, upTo);
    }
  }

  private fatal(e: unknown): void {
    this.onFatal(
      e instanceof MeshwatchError
        ? e
        : new MeshwatchError('MW_KAFKA_CONSUMER_CRASHED', `detect idle close: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
