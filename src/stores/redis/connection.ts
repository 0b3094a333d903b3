/**
 * One ioredis connection (a server, or a Redis Cluster) that fails clearly. Contract:
 * - start-up: `connect()` resolves once Redis answers, or rejects within `connectTimeoutMs`
 *   with MW_STORE_UNAVAILABLE naming the address (password redacted) and the last cause;
 *   the client is then shut down, so nothing keeps retrying behind the error. Credentials
 *   Redis refuses (WRONGPASS, NOAUTH) reject at once with MW_REDIS_AUTH: no retry.
 * - running: a lost connection is retried forever with capped, jittered exponential backoff
 *   (`reconnectDelayMs`); `onEvent` hears `lost`, `retry` and `recovered`. A call while Redis
 *   is down fails at once (no offline queue) or after `commandTimeoutMs` (a Redis that
 *   accepts but never answers): never a hang. If the outage lasts `maxOutageMs`, `onOutage`
 *   is called once with MW_STORE_UNAVAILABLE (at once with MW_REDIS_AUTH when a reconnect's
 *   credentials are refused); the composition root turns that into an exit.
 * - every `error` event is handled (no "Unhandled error event"); no secret reaches a message.
 * - cluster mode: `pipeline` splits its commands per key (a pipeline's keys must live on one
 *   node) and `scan` visits every master.
 * RESP2 (ioredis 5), so reply shapes are the classic ones.
 */
import { type ChainableCommander, Cluster, type Redis } from 'ioredis';
import { redactUrl, scrub } from '../../config/redact.js';
import { MeshwatchError } from '../../errors.js';
import { createRedisClient, type RedisClient, type RedisClientOptions, userOf } from './client.js';

export type RedisEvent =
  { type: 'lost'; cause: string } | { type: 'retry'; attempt: number; delayMs: number } | { type: 'recovered'; downMs: number };

export interface RedisConnectionOptions extends RedisClientOptions {
  /** Start-up bound: `connect()` fails after this (default 30 s). */
  connectTimeoutMs?: number;
  /** Running: an outage this long calls `onOutage` (default 120 s). */
  maxOutageMs?: number;
  /** A command (or pipeline) that gets no reply this long fails (default 10 s). */
  commandTimeoutMs?: number;
  onEvent?: (e: RedisEvent) => void;
  onOutage?: (e: MeshwatchError) => void;
  now?: () => number;
}

/** Backoff before reconnect attempt `attempt` (1-based): 100 ms doubling, capped at 2 s, jittered to [½, 1] of that. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const capped = Math.min(2000, 100 * 2 ** Math.min(attempt - 1, 10));
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/** `5 s`, `1.5 s`, `250 ms`: durations in messages. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** A reply that says the credentials were refused (a wrong password, a disabled or unknown user). */
const AUTH_REFUSED = /\b(WRONGPASS|NOAUTH)\b/;

export class RedisConnection {
  readonly redis: RedisClient;
  /** The address with its password redacted: the only form that appears in messages. */
  readonly address: string;
  readonly connectTimeoutMs: number;
  readonly maxOutageMs: number;
  readonly commandTimeoutMs: number;
  private lastCause = '';
  private downSince: number | undefined;
  private outageTimer: NodeJS.Timeout | undefined;
  private wasReady = false;
  private closing = false;
  private authRefused: MeshwatchError | undefined;
  private onAuthRefused: ((e: MeshwatchError) => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RedisConnectionOptions) {
    this.address = redactUrl(opts.url);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    this.maxOutageMs = opts.maxOutageMs ?? 120_000;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.redis = createRedisClient(opts, this.connectTimeoutMs, (attempt) => {
      const delayMs = reconnectDelayMs(attempt);
      if (!this.closing) this.opts.onEvent?.({ type: 'retry', attempt, delayMs });
      return delayMs;
    });
    const onError = (e: unknown): void => {
      this.lastCause = this.describe(e);
      const lastNode = (e as { lastNodeError?: unknown } | null)?.lastNodeError;
      if (AUTH_REFUSED.test(this.lastCause) || (lastNode !== undefined && AUTH_REFUSED.test(this.describe(lastNode)))) this.refused();
    };
    this.redis.on('error', onError);
    // A cluster reports each node's errors apart from its own.
    this.redis.on('node error', onError);
    this.redis.on('ready', () => {
      this.wasReady = true;
      this.lastCause = '';
      this.markUp();
    });
    this.redis.on('close', () => {
      if (this.wasReady && !this.closing) this.markDown(this.lastCause || 'connection closed');
    });
  }

  /** Resolves when Redis answers; rejects with MW_STORE_UNAVAILABLE within connectTimeoutMs. */
  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        this.onAuthRefused = undefined;
        this.closing = true;
        this.redis.disconnect();
        const why = this.lastCause ? ` (${this.lastCause})` : '';
        reject(
          new MeshwatchError(
            'MW_STORE_UNAVAILABLE',
            `redis at ${this.address} did not answer within ${formatMs(this.connectTimeoutMs)}${why}`,
          ),
        );
      }, this.connectTimeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        this.onAuthRefused = undefined;
        resolve();
      };
      this.onAuthRefused = (e) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        reject(e);
      };
      this.redis.once('ready', onReady);
      // The first attempt's failure rejects this promise; ioredis goes on retrying (retryStrategy)
      // and the deadline above decides.
      this.redis.connect().catch((e: unknown) => {
        this.lastCause = this.describe(e);
      });
    });
  }

  /**
   * Runs one round trip with the command deadline; a failure of the connection (not of a
   * single command's reply) counts towards the outage, a success ends it.
   */
  async roundTrip<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply within ${formatMs(this.commandTimeoutMs)}`)), this.commandTimeoutMs);
    });
    try {
      const out = await Promise.race([run(), deadline]);
      this.markUp();
      return out;
    } catch (cause) {
      const why = this.describe(cause);
      this.markDown(why);
      throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.address}: ${what} failed (${why})`, { cause: new Error(why) });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether an outage is under way, and since when (ms). */
  get outageSinceMs(): number | undefined {
    return this.downSince;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.clearOutage();
    if (this.redis.status === 'end') return;
    // QUIT lets replies in flight arrive; a Redis that does not answer it is simply dropped.
    let timer: NodeJS.Timeout | undefined;
    const quit = this.redis.quit().then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([quit, new Promise<void>((r) => (timer = setTimeout(r, this.commandTimeoutMs)))]);
    clearTimeout(timer);
    this.redis.disconnect();
  }

  /** A MULTI transaction (its keys must share a hash tag in cluster mode). */
  multi(): ChainableCommander {
    return this.redis instanceof Cluster ? this.redis.multi() : this.redis.multi();
  }

  /**
   * Runs commands on `n` keys as pipelines, with the command deadline: one pipeline on a
   * server; in cluster mode one per key, sent together (a pipeline's keys must live on one
   * node; each node's connection still carries them back to back). `add` queues key i's
   * commands. Replies in the order queued; a reply error stays the caller's to judge, any
   * other error (the connection) is MW_STORE_UNAVAILABLE.
   */
  async pipeline(n: number, add: (pipe: ChainableCommander, i: number) => void): Promise<[Error | null, unknown][]> {
    const groups = this.redis instanceof Cluster ? Array.from({ length: n }, (_, i) => [i]) : [Array.from({ length: n }, (_, i) => i)];
    const res = await this.roundTrip('pipeline', async () => {
      const parts = await Promise.all(
        groups.map((g) => {
          const pipe = this.redis.pipeline();
          for (const i of g) add(pipe, i);
          return pipe.exec();
        }),
      );
      if (parts.some((p) => p === null)) return null;
      const replies = parts.flatMap((p) => p ?? []);
      // A reply error (WRONGTYPE, …) is this command's; any other error (stream not writeable,
      // retries exhausted) means the connection is down, and counts towards the outage.
      const down = replies.find(([err]) => err !== null && err.name !== 'ReplyError')?.[0];
      if (down) throw down;
      return replies;
    });
    if (!res) throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.address}: pipeline aborted`);
    return res;
  }

  /**
   * Deletes every key matching `pattern` (SCAN, never KEYS; on every master in cluster mode,
   * one key per DEL so no command spans slots). Returns how many were deleted.
   */
  async deleteMatching(pattern: string): Promise<number> {
    let n = 0;
    await this.scan(pattern, async (keys, node) => {
      const replies = await this.roundTrip('del', () => node.pipeline(keys.map((k) => ['del', k])).exec());
      for (const [err, v] of replies ?? []) if (err === null) n += Number(v);
    });
    return n;
  }

  /** Hands every key matching `pattern` to `each` in batches, with the node holding them; `each` returns true to stop. */
  async scan(pattern: string, each: (keys: string[], node: Redis) => Promise<boolean | void> | boolean | void): Promise<void> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys]: [string, string[]] = await this.roundTrip('scan', () => node.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
        cursor = next;
        if (keys.length > 0 && (await each(keys, node)) === true) return;
      } while (cursor !== '0');
    }
  }

  /** Credentials refused: stop reconnecting, and fail the pending start-up or report the outage, once. */
  private refused(): void {
    if (this.authRefused || this.closing) return;
    this.authRefused = new MeshwatchError(
      'MW_REDIS_AUTH',
      `redis at ${this.address} refused the credentials of user ${userOf(this.opts.url)} (${this.lastCause.split(' ')[0] ?? ''})`,
    );
    this.closing = true;
    this.clearOutage();
    this.redis.disconnect();
    if (this.onAuthRefused) this.onAuthRefused(this.authRefused);
    else this.opts.onOutage?.(this.authRefused);
  }

  private markDown(cause: string): void {
    if (this.closing || this.downSince !== undefined) return;
    this.downSince = this.now();
    this.opts.onEvent?.({ type: 'lost', cause });
    const giveUp = (): void => {
      if (this.downSince === undefined || this.closing) return;
      const why = this.lastCause || cause;
      this.opts.onOutage?.(
        new MeshwatchError(
          'MW_STORE_UNAVAILABLE',
          `redis at ${this.address} unreachable for ${formatMs(this.maxOutageMs)} (${why}); giving up`,
        ),
      );
    };
    this.outageTimer = setTimeout(() => {
      // Connected all along (the outage was a command that timed out, and nothing has called
      // since)? One PING decides, so a slow moment followed by quiet is not taken for an outage.
      if (this.redis.status === 'ready') this.roundTrip('ping', () => this.redis.ping()).catch(giveUp);
      else giveUp();
    }, this.maxOutageMs);
  }

  private markUp(): void {
    if (this.downSince === undefined) return;
    const downMs = this.now() - this.downSince;
    this.clearOutage();
    this.opts.onEvent?.({ type: 'recovered', downMs });
  }

  private clearOutage(): void {
    clearTimeout(this.outageTimer);
    this.outageTimer = undefined;
    this.downSince = undefined;
  }

  /** A cause in a few words: an errno code if there is one, else the message; secrets scrubbed. */
  private describe(e: unknown): string {
    const code = (e as { code?: unknown } | null)?.code;
    const text = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : e instanceof Error ? e.message : String(e);
    return scrub(text, this.opts.url).slice(0, 200);
  }
}
