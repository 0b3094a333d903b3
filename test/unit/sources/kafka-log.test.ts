/**
 * kafkajs's own log lines: all of them (INFO and up) at debug, formatted on one line each;
 * otherwise only a consumer crash is passed on, as one meshwatch line.
 */
import { type LogEntry, logLevel } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import { kafkaLogCreator, kafkaLogLevelOf } from '../../../src/sources/kafka/log.js';

const entry = (level: logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
  namespace,
  level,
  label: logLevel[level],
  log: { timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
});

const ENTRIES = [
  entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9099', { broker: '127.0.0.1:9099' }),
  entry(logLevel.ERROR, 'BrokerPool', 'Failed to connect to seed broker, trying another broker from the list'),
  entry(logLevel.WARN, 'Consumer', 'Restarting the consumer in 300ms'),
  entry(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: redis at redis://127.0.0.1:6379: pipeline failed', {
    groupId: 'g',
  }),
];

function run(mode: 'info' | 'debug'): { lines: string[]; seen: number } {
  const lines: string[] = [];
  let seen = 0;
  const log = kafkaLogCreator({ mode, write: (l) => lines.push(l), onEntry: () => seen++ })(kafkaLogLevelOf(mode));
  for (const e of ENTRIES) log(e);
  return { lines, seen };
}

describe('kafkaLogCreator', () => {
  test('info: only the consumer crash, as one meshwatch line', () => {
    expect(run('info')).toEqual({
      lines: ['meshwatch: kafka client: Consumer: Crash: KafkaJSNumberOfRetriesExceeded: redis at redis://127.0.0.1:6379: pipeline failed'],
      seen: 4,
    });
  });

  test('debug: every line, with its level, namespace and extra fields', () => {
    const { lines } = run('debug');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('kafkajs ERROR [Connection] Connection error: connect ECONNREFUSED 127.0.0.1:9099 {"broker":"127.0.0.1:9099"}');
    expect(lines[2]).toBe('kafkajs WARN [Consumer] Restarting the consumer in 300ms');
  });

  test('levels: kafkajs filters below ERROR unless debug', () => {
    expect([kafkaLogLevelOf('info'), kafkaLogLevelOf('debug')]).toEqual([logLevel.ERROR, logLevel.INFO]);
  });
});
