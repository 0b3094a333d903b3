/**
 * Kafka start-up probe: connects an admin client to the configured brokers and asks for
 * the cluster's description. Resolves when a broker answers; rejects within `deadlineMs`
 * with MW_KAFKA_UNAVAILABLE naming the brokers and the last cause in a few words. The
 * probe's client has its retries and timeouts sized to the deadline and logs nothing
 * (its last error becomes the cause), so a dead broker gives one line, not a screenful.
 */
import { type LogEntry, logLevel } from 'kafkajs';
import { type Config } from '../../config/schema.js';
import { redactUrl } from '../../config/redact.js';
import { MeshwatchError } from '../../errors.js';
import { formatMs } from '../../stores/redis/connection.js';
import { kafkaOf, kafkaSecretsOf } from './client.js';

const NO_ANSWER = 'no answer';

export interface KafkaProbeResult {
  brokers: number;
  controller: number | null;
  tookMs: number;
}

/** The brokers as they appear in messages (any userinfo redacted). */
export const brokersOf = (c: Pick<Config, 'kafka'>): string => c.kafka.brokers.map(redactUrl).join(',');

/** Pause before probe attempt `attempt + 1`: 250 ms doubling, capped at 2 s. */
export const probeDelayMs = (attempt: number): number => Math.min(2000, 250 * 2 ** Math.min(attempt - 1, 8));

/**
 * Tries until a broker answers or the deadline passes (a broker still starting counts as
 * down until it answers); each attempt is one kafkajs connection without kafkajs retries,
 * bounded by the time left, so the whole probe never outlives `deadlineMs` by more than a
 * disconnect.
 */
export async function probeKafka(
  c: Pick<Config, 'kafka'> & Partial<Pick<Config, 'log'>>,
  deadlineMs: number = c.kafka.connectTimeoutMs,
): Promise<KafkaProbeResult> {
  const started = Date.now();
  const end = started + deadlineMs;
  let cause = NO_ANSWER;
  for (let attempt = 1; ; attempt++) {
    try {
      const d = await probeOnce(c, Math.max(1, end - Date.now()));
      return { ...d, tookMs: Date.now() - started };
    } catch (e) {
      // Credentials the brokers refused stay refused: no retry, one clear error.
      if (e instanceof MeshwatchError && e.code === 'MW_KAFKA_AUTH') throw e;
      // An attempt cut short by the deadline says less than an earlier one that got an answer.
      const why = e instanceof Error ? e.message : String(e);
      if (why !== NO_ANSWER || cause === NO_ANSWER) cause = why;
    }
    const pauseMs = Math.min(probeDelayMs(attempt), end - Date.now());
    if (pauseMs <= 0) break;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new MeshwatchError('MW_KAFKA_UNAVAILABLE', `kafka at ${brokersOf(c)} did not answer within ${formatMs(deadlineMs)} (${cause})`);
}

/** One connection and one describeCluster, within `leftMs`; rejects with the cause in a few words. */
async function probeOnce(c: Pick<Config, 'kafka'>, leftMs: number): Promise<Omit<KafkaProbeResult, 'tookMs'>> {
  let lastError = '';
  const kafka = kafkaOf({ kafka: c.kafka }, '-probe', false, {
    connectionTimeout: Math.max(100, Math.min(3000, leftMs)),
    requestTimeout: Math.max(100, Math.min(30_000, leftMs)),
    retry: { retries: 0 },
    logLevel: logLevel.ERROR,
    logCreator: () => (e: LogEntry) => {
      const error = (e.log as { error?: unknown }).error;
      lastError = typeof error === 'string' ? error : e.log.message;
    },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(lastError || NO_ANSWER)), leftMs);
  });
  const attempt = (async () => {
    await admin.connect();
    return admin.describeCluster();
  })();
  try {
    const d = await Promise.race([attempt, deadline]);
    return { brokers: d.brokers.length, controller: d.controller };
  } catch (e) {
    if (isAuthFailure(e, lastError)) {
      const sasl = c.kafka.sasl;
      const who = sasl ? ` (SASL ${sasl.mechanism.toUpperCase()}, user ${sasl.username})` : '';
      throw new MeshwatchError('MW_KAFKA_AUTH', `kafka at ${brokersOf(c)} refused the credentials${who}`);
    }
    throw new Error(scrubAll(causeOf(e, lastError), kafkaSecretsOf(c.kafka)));
  } finally {
    clearTimeout(timer);
    attempt.catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** kafkajs's SASL authentication failure (the broker answered and said no), by class or by its logged text. */
function isAuthFailure(e: unknown, lastError: string): boolean {
  return (e instanceof Error && e.name === 'KafkaJSSASLAuthenticationError') || /SASL .*authentication failed/i.test(lastError);
}

const scrubAll = (text: string, secrets: readonly string[]): string => secrets.reduce((t, s) => t.split(s).join('***'), text);

/** An errno code (ECONNREFUSED, ENOTFOUND, …) if the message has one, else the message's first sentence. */
function causeOf(e: unknown, lastError: string): string {
  const texts = [e instanceof Error ? e.message : String(e), lastError];
  for (const t of texts) {
    const code = /\bE[A-Z]{3,}\b/.exec(t)?.[0];
    if (code) return code;
  }
  return (texts.find((t) => t.length > 0) ?? NO_ANSWER).split(/\.\s/)[0]!.slice(0, 200);
}
