/**
 * What every Kafka worker shares around its consume loop. `reportCrashes`: a consumer that
 * kafkajs stops for good (CRASH with restart=false: a non-retriable error, or one raised
 * from a handler) is reported once to the composition root as a fatal MeshwatchError,
 * which stops the process; never a running process with a frozen lag. Crashes kafkajs
 * restarts by itself (retriable errors) are counted, not fatal. `atPosition`: an error
 * from a batch handler, re-raised as a MeshwatchError naming the topic/partition and
 * keeping the original code, cause and retriability (kafkajs's own errors pass unchanged).
 */
import { type Consumer } from 'kafkajs';
import { MeshwatchError } from '../errors.js';
import { type Counters, type Stage } from '../telemetry/counters.js';

export type OnFatal = (e: MeshwatchError) => void;

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export function reportCrashes(consumer: Consumer, stage: Stage, counters: Counters, onFatal: OnFatal): void {
  consumer.on(consumer.events.CRASH, (e) => {
    const cause: unknown = e.payload.error;
    // kafkajs wraps a handler's error (KafkaJSNonRetriableError, keeping its message): find ours.
    const code = meshwatchErrorIn(cause)?.code ?? 'MW_KAFKA_CONSUMER_CRASHED';
    counters.add('errors', 1, { stage, code });
    if (e.payload.restart) return;
    onFatal(
      new MeshwatchError(code, `${stage} consumer (group ${e.payload.groupId}) stopped: ${describe(cause)}`, {
        cause,
        retriable: false,
      }),
    );
  });
}

function meshwatchErrorIn(e: unknown): MeshwatchError | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) if (x instanceof MeshwatchError) return x;
  return undefined;
}

/** Runs a batch handler; its errors name the batch's position. */
export async function atPosition<T>(topic: string, partition: number, firstOffset: string | null, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (cause) {
    const where = `${topic}/${partition}@${firstOffset ?? '?'}`;
    if (cause instanceof MeshwatchError) {
      if (cause.message.startsWith(`${topic}/${partition}@`)) throw cause; // names its record already
      throw new MeshwatchError(cause.code, `${where}: ${cause.message}`, { cause, retriable: cause.retriable });
    }
    // kafkajs's own errors (rebalances, coordinator moves) go back to kafkajs unchanged: it handles them.
    if (cause instanceof Error && cause.name.startsWith('KafkaJS')) throw cause;
    const retriable = (cause as { retriable?: unknown } | null)?.retriable === true;
    throw new MeshwatchError(retriable ? 'MW_KAFKA_UNAVAILABLE' : 'MW_KAFKA_CONSUMER_CRASHED', `${where}: ${describe(cause)}`, {
      cause,
      retriable,
    });
  }
}
