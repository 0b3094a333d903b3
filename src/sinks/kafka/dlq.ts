/**
 * Dead-letter records: the original bytes (base64), where they came from, which decoder
 * refused them and why. One JSON document per rejected message on `meshwatch.dlq`.
 */
import { type Problem } from '../../core/result.js';

export const DLQ_SCHEMA_ID = 'meshwatch.dlq/v1';

export interface DeadLetter {
  schema: typeof DLQ_SCHEMA_ID;
  error: { code: string; reason: string };
  decoder: string;
  source: { topic: string; partition: number; offset: string; timestamp: string | null; key: string | null };
  payloadBase64: string;
  /** Bytes of the original message (the payload may be truncated past `maxPayloadBytes`). */
  payloadBytes: number;
  stage: 'ingest' | 'detect';
}

export interface DeadLetterInput {
  problem: Problem;
  decoder: string;
  topic: string;
  partition: number;
  offset: string;
  timestamp?: string | null;
  key?: Buffer | null;
  value: Buffer | null;
  stage: 'ingest' | 'detect';
  /** Keep at most this many bytes of the original (so the letter fits its topic's record limit). */
  maxPayloadBytes?: number;
}

/** Payload bytes a dead letter may carry on a topic whose records hold `topicBytes` (base64 grows 4/3). */
export const payloadBytesFor = (topicBytes: number): number => Math.max(0, Math.floor(((topicBytes - 16 * 1024) * 3) / 4));

export function deadLetterOf(i: DeadLetterInput): DeadLetter {
  const value = i.value ?? Buffer.alloc(0);
  return {
    schema: DLQ_SCHEMA_ID,
    error: { code: i.problem.code, reason: i.problem.reason },
    decoder: i.decoder,
    source: {
      topic: i.topic,
      partition: i.partition,
      offset: i.offset,
      timestamp: i.timestamp ?? null,
      key: i.key ? i.key.toString('base64') : null,
    },
    payloadBase64: (i.maxPayloadBytes !== undefined && value.length > i.maxPayloadBytes
      ? value.subarray(0, i.maxPayloadBytes)
      : value
    ).toString('base64'),
    payloadBytes: value.length,
    stage: i.stage,
  };
}
