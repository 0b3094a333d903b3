/**
 * Start-up probes and the running watch on meshwatch's dependencies.
 * - `probeDependencies`: Kafka (always) and Redis (roles that detect), in parallel, each within
 *   its own start-up bound (`kafka.connectTimeoutMs`, `redis.connectTimeoutMs`). Resolves when
 *   both answered; otherwise rejects with one MeshwatchError (MW_KAFKA_UNAVAILABLE or
 *   MW_STORE_UNAVAILABLE) whose message names every dependency that did not answer.
 * - `KafkaWatch`: while running, probes the brokers every few seconds; a failed probe starts an
 *   outage (`lost`), a later answer ends it (`recovered`), and an outage of `kafka.maxOutageMs`
 *   calls `onOutage` once with MW_KAFKA_UNAVAILABLE. (Redis reports its own outages: the state
 *   store's connection sees every disconnect, see src/stores/redis/connection.ts.)
 */
import { type Config } from '../config/schema.js';
import { MeshwatchError } from '../errors.js';
import { brokersOf, probeKafka } from '../sources/kafka/probe.js';
import { formatMs } from '../stores/redis/connection.js';
import { RedisStateStore, redisStoreOptionsOf } from '../stores/redis/store.js';

export type DependencyEvent =
  { type: 'lost'; dependency: 'kafka' | 'redis'; cause: string } | { type: 'recovered'; dependency: 'kafka' | 'redis'; downMs: number };

/** Whether this role keeps state in Redis. */
/** Stage 2 keeps its state in Redis; so does the Alertmanager sink (its active alerts). */
export const needsRedis = (c: Pick<Config, 'role'>): boolean => c.role === 'all' || c.role === 'detect' || c.role === 'sink-alertmanager';

export async function probeDependencies(c: Readonly<Config>): Promise<void> {
  const probes: Promise<unknown>[] = [probeKafka(c)];
  if (needsRedis(c)) probes.push(probeRedis(c));
  const failed = (await Promise.allSettled(probes)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length === 0) return;
  const [first, ...rest] = failed;
  if (!(first instanceof MeshwatchError)) throw first;
  if (rest.length === 0) throw first;
  const also = rest.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  throw new MeshwatchError(first.code, `${first.message}; also ${also}`, { cause: first });
}

/** Connects to Redis within redis.connectTimeoutMs and lets go again. */
export async function probeRedis(c: Pick<Config, 'redis'>): Promise<void> {
  const store = new RedisStateStore(redisStoreOptionsOf(c));
  try {
    await store.connect();
  } finally {
    await store.close();
  }
}

export interface KafkaWatchOptions {
  onEvent?: (e: DependencyEvent) => void;
  onOutage: (e: MeshwatchError) => void;
  /** Pause between probes (default: a sixth of the outage bound, within 1–10 s). */
  intervalMs?: number;
}

export class KafkaWatch {
  private stopped = false;
  private downSince: number | undefined;
  private cause = '';
  private outageTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly opts: KafkaWatchOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? Math.max(1000, Math.min(10_000, Math.floor(config.kafka.maxOutageMs / 6)));
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.outageTimer);
    clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const deadlineMs = Math.min(this.config.kafka.connectTimeoutMs, Math.max(1000, this.intervalMs));
      try {
        await probeKafka(this.config, deadlineMs);
        this.up();
      } catch (e) {
        // Credentials refused while running (rotated on the brokers) stay refused: end the run now.
        if (e instanceof MeshwatchError && e.code === 'MW_KAFKA_AUTH') {
          this.opts.onOutage(e);
          return;
        }
        this.down(e instanceof Error ? e.message : String(e));
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = setTimeout(resolve, this.intervalMs);
      });
    }
  }

  private down(message: string): void {
    if (this.stopped) return;
    this.cause = /\(([^()]*)\)$/.exec(message)?.[1] ?? message;
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.opts.onEvent?.({ type: 'lost', dependency: 'kafka', cause: this.cause });
    this.outageTimer = setTimeout(() => {
      if (this.stopped || this.downSince === undefined) return;
      this.opts.onOutage(
        new MeshwatchError(
          'MW_KAFKA_UNAVAILABLE',
          `kafka at ${brokersOf(this.config)} unreachable for ${formatMs(this.config.kafka.maxOutageMs)} (${this.cause}); giving up`,
        ),
      );
    }, this.config.kafka.maxOutageMs);
  }

  private up(): void {
    if (this.downSince === undefined) return;
    const downMs = Date.now() - this.downSince;
    clearTimeout(this.outageTimer);
    this.downSince = undefined;
    this.opts.onEvent?.({ type: 'recovered', dependency: 'kafka', downMs });
  }
}
