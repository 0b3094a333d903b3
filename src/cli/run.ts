/**
 * `meshwatch run`: the long-running service, until SIGINT/SIGTERM (graceful shutdown).
 * Start-up order: probe Kafka and Redis (each within its start-up bound), then start the
 * workers. While running, a lost dependency is logged once (and counted), retried with
 * backoff, and logged again when it answers; one that stays away past its outage bound
 * (`kafka.maxOutageMs`, `redis.maxOutageMs`) ends the run with that MeshwatchError, which
 * main prints as one line and turns into exit code 3. So does a worker that stops for good
 * (its consumer hit an error it will not retry: `Running.fatal`), never an idle process.
 *
 * Shutdown (SIGTERM, SIGINT): the HTTP server reports not ready, every worker stops fetching,
 * finishes the batch in hand, saves its state and commits, then the clients close; exit 0. The
 * drain may take `shutdownTimeoutMs`; past that, or on a second signal (one at least a second after
 * the first: a wrapper relaying the same signal does not count), the process exits 1
 * with MW_SHUTDOWN_TIMEOUT (what was not committed is read again by the next instance).
 *
 * Every line goes through meshwatch's log (src/log.ts): text or JSON, levelled, secrets scrubbed.
 */
import { readFileSync } from 'node:fs';
import { type Config } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import { MeshwatchError } from '../errors.js';
import { type Running, startMeshwatch } from '../runtime/app.js';
import { type DependencyEvent, KafkaWatch, needsRedis, probeDependencies } from '../runtime/dependencies.js';
import { brokersOf } from '../sources/kafka/probe.js';
import { formatMs } from '../stores/redis/connection.js';
import { type HttpServer, startHttpServer } from '../http/server.js';
import { startTelemetry } from '../telemetry/sdk.js';
import { log } from '../log.js';
import { progressLine, totalsOf } from './progress.js';

/** How long a shutdown after a fatal outage may take before the process exits anyway. */
const FATAL_STOP_MS = 5000;

export async function runCommand(config: Readonly<Config>): Promise<number> {
  const logger = log();
  await probeDependencies(config);

  let running: Running | undefined;
  /** Dependency trouble is counted once the workers' counters exist (from the end of start-up). */
  const count = (code: MeshwatchError['code'], dependency: DependencyEvent['dependency']): void =>
    running?.counters.add('errors', 1, { code, dependency });
  const addressOf = (d: DependencyEvent['dependency']): string => (d === 'kafka' ? brokersOf(config) : redactUrl(config.redis.url));
  const codeOf = (d: DependencyEvent['dependency']): MeshwatchError['code'] =>
    d === 'kafka' ? 'MW_KAFKA_UNAVAILABLE' : 'MW_STORE_UNAVAILABLE';
  /** Dependencies lost and not back yet (readiness). */
  const down = new Set<DependencyEvent['dependency']>();
  const report = (e: DependencyEvent): void => {
    if (e.type === 'lost') down.add(e.dependency);
    else down.delete(e.dependency);
    if (e.type === 'lost') {
      count(codeOf(e.dependency), e.dependency);
      const boundMs = e.dependency === 'kafka' ? config.kafka.maxOutageMs : config.redis.maxOutageMs;
      logger.error(
        `${codeOf(e.dependency)}: ${e.dependency} at ${addressOf(e.dependency)} lost (${e.cause}); retrying for up to ${formatMs(boundMs)}`,
        { dependency: e.dependency, address: addressOf(e.dependency), cause: e.cause, retryForMs: boundMs },
      );
    } else {
      logger.info(`${e.dependency} at ${addressOf(e.dependency)} answers again after ${formatMs(e.downMs)}`, {
        dependency: e.dependency,
        address: addressOf(e.dependency),
        downMs: e.downMs,
      });
    }
  };

  // Before any Counters exists: instruments are bound to the meter provider in force when made.
  // OTEL_* are OpenTelemetry's own variables, read by its SDK.
  const telemetry = startTelemetry(process.env);
  let fail: (e: MeshwatchError) => void = () => undefined;
  const fatal = new Promise<MeshwatchError>((resolve) => (fail = resolve));
  try {
    running = await startMeshwatch(config, {
      onAlert: (a) => process.stdout.write(JSON.stringify(a) + '\n'),
      productVersion: packageVersion(),
      redis: {
        onEvent: (e) => {
          if (e.type === 'retry') count('MW_STORE_UNAVAILABLE', 'redis');
          else report({ ...e, dependency: 'redis' });
        },
        onOutage: fail,
      },
    });
  } catch (e) {
    // The probes answered moments ago; a client error here is the dependency going away.
    if (e instanceof Error && e.name.startsWith('KafkaJS')) {
      throw new MeshwatchError('MW_KAFKA_UNAVAILABLE', `kafka at ${brokersOf(config)}: start-up failed (${e.message})`, { cause: e });
    }
    throw e;
  }
  const watch = new KafkaWatch(config, { onEvent: report, onOutage: fail });
  watch.start();
  let stopping = false;
  let http: HttpServer | undefined;
  const started = running;
  if (config.http.enabled) {
    try {
      http = await startHttpServer({
        host: config.http.host,
        port: config.http.port,
        token: config.http.token,
        query: started.query,
        metrics: (req, res) => telemetry.metricsHandler(req, res),
        readiness: [
          { name: 'workers', check: () => (stopping ? 'shutting down' : true) },
          ...(['kafka', 'redis'] as const)
            .filter((d) => d === 'kafka' || needsRedis(config))
            .map((d) => ({ name: d, check: () => (down.has(d) ? `${d} at ${addressOf(d)} is not answering` : true) })),
        ],
      });
    } catch (e) {
      await Promise.all([watch.stop(), started.stop()]).catch(() => undefined);
      throw e;
    }
  }
  const closeHttp = async (): Promise<void> => {
    await http?.close();
    await telemetry.shutdown().catch(() => undefined);
  };
  logger.info(
    `running role=${config.role} brokers=${brokersOf(config)}${needsRedis(config) ? ` redis=${redactUrl(config.redis.url)}` : ''}` +
      (http ? ` http=${http.url}` : ''),
    {
      role: config.role,
      brokers: brokersOf(config),
      ...(needsRedis(config) ? { redis: redactUrl(config.redis.url) } : {}),
      ...(http ? { http: http.url } : {}),
    },
  );

  let last = { at: Date.now(), totals: totalsOf(running.counters) };
  const progress =
    config.progressIntervalMs > 0
      ? setInterval(() => {
          const now = { at: Date.now(), totals: totalsOf(started.counters) };
          logger.info(progressLine(last.totals, now.totals, now.at - last.at), {
            ...deltaOf(last.totals, now.totals),
            elapsedMs: now.at - last.at,
          });
          last = now;
        }, config.progressIntervalMs)
      : undefined;
  progress?.unref();
  const outcome = await Promise.race([fatal, running.fatal, nextSignal()]);
  clearInterval(progress);
  if (outcome instanceof MeshwatchError) {
    // Stop what can be stopped in a bounded time; the error is the run's result either way.
    stopping = true;
    const stopped = Promise.all([watch.stop(), running.stop(), closeHttp()]).catch(() => undefined);
    await Promise.race([stopped, new Promise((r) => setTimeout(r, FATAL_STOP_MS).unref())]);
    throw outcome;
  }
  logger.info(`shutting down (${outcome}): draining for up to ${formatMs(config.shutdownTimeoutMs)}`, {
    signal: outcome,
    timeoutMs: config.shutdownTimeoutMs,
  });
  stopping = true;
  const startedAt = Date.now();
  const drained = (async () => {
    await watch.stop();
    await running.stop();
    await closeHttp();
    return 'drained' as const;
  })();
  let timer: NodeJS.Timeout | undefined;
  const end = await Promise.race([
    drained,
    nextSignal(startedAt + RELAYED_SIGNAL_MS),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), config.shutdownTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (end !== 'drained') {
    throw new MeshwatchError(
      'MW_SHUTDOWN_TIMEOUT',
      end === 'timeout'
        ? `shutdown did not finish within ${formatMs(config.shutdownTimeoutMs)}; exiting without it`
        : `${end} during shutdown; exiting without finishing it`,
    );
  }
  const snapshot = running.counters.snapshot();
  const tookMs = Date.now() - startedAt;
  if (logger.format === 'json') logger.info(`stopped after ${formatMs(tookMs)}`, { tookMs, counters: snapshot });
  else logger.info(`counters ${JSON.stringify(snapshot)}`);
  return 0;
}

/**
 * A signal within this long of the first one is the same signal relayed (npx, tsx or a shell pass
 * the group's SIGINT/SIGTERM on to the process that already got it), not a second request.
 */
const RELAYED_SIGNAL_MS = 1000;

/** The next SIGTERM or SIGINT at or after `notBeforeMs` (epoch ms), by name. */
function nextSignal(notBeforeMs = 0): Promise<'SIGTERM' | 'SIGINT'> {
  return new Promise((resolve) => {
    const on = (s: 'SIGTERM' | 'SIGINT') => (): void => {
      if (Date.now() < notBeforeMs) return;
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve(s);
    };
    const term = on('SIGTERM');
    const int = on('SIGINT');
    process.on('SIGTERM', term);
    process.on('SIGINT', int);
  });
}

/** The progress line's figures, for the JSON log. */
function deltaOf(prev: ReturnType<typeof totalsOf>, now: ReturnType<typeof totalsOf>): Record<string, number> {
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - prev[k as keyof typeof prev]]));
}

/** meshwatch's version from its package.json (src/cli or dist/cli are two levels below it). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
