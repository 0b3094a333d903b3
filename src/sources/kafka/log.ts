/**
 * Where kafkajs's own log lines go. kafkajs logs every failed connection attempt and every
 * retried request at ERROR, which buries the one line that matters under tens of seconds of
 * noise when a broker is down; meshwatch reports dependency trouble itself (MW codes, the
 * address, retries and outages). So:
 * - `debug`: every kafkajs line (INFO and up) goes to the sink, as `kafkajs LEVEL [ns] message {extra}`;
 * - otherwise only a consumer crash (the one kafkajs error that can stop work silently) is
 *   written, as one `meshwatch: kafka client: …` line; the rest is dropped.
 * Without a `write`, lines go to meshwatch's log (src/log.ts: its format, its redaction), the
 * client's fields as the event's fields.
 * `onEntry` sees every entry whatever the mode (the probe keeps the last error as its cause).
 */
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import { log } from '../../log.js';

export type KafkaLogMode = 'info' | 'debug';

const LEVEL_NAMES: Record<number, string> = {
  [logLevel.ERROR]: 'ERROR',
  [logLevel.WARN]: 'WARN',
  [logLevel.INFO]: 'INFO',
  [logLevel.DEBUG]: 'DEBUG',
};

export interface KafkaLogOptions {
  mode: KafkaLogMode;
  write?: (line: string) => void;
  onEntry?: (e: LogEntry) => void;
}

export function kafkaLogCreator(opts: KafkaLogOptions): logCreator {
  const write = opts.write;
  return () => (entry) => {
    opts.onEntry?.(entry);
    const { message } = entry.log;
    const extra: Record<string, unknown> = { ...entry.log };
    for (const k of ['message', 'timestamp', 'logger']) delete extra[k];
    if (opts.mode === 'debug') {
      const head = `kafkajs ${LEVEL_NAMES[entry.level] ?? entry.level} [${entry.namespace}] ${message}`;
      const line = `${head}${Object.keys(extra).length ? ' ' + safeJson(extra) : ''}`;
      if (write) return write(line);
      // JSON: the client's fields as the event's; text: the line as it always read.
      if (log().format === 'json') log().debug(head, { client: 'kafkajs', namespace: entry.namespace, ...extra });
      else log().debug(line);
    } else if (entry.level === logLevel.ERROR && /crash/i.test(message)) {
      if (!write) return log().error(`kafka client: ${entry.namespace}: ${message}`, { client: 'kafkajs', namespace: entry.namespace });
      write(`meshwatch: kafka client: ${entry.namespace}: ${message}`);
    }
  };
}

/** kafkajs's level for a mode: debug shows INFO and up; otherwise only errors reach the creator. */
export const kafkaLogLevelOf = (mode: KafkaLogMode): logLevel => (mode === 'debug' ? logLevel.INFO : logLevel.ERROR);

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x);
  } catch {
    return '{…}';
  }
}
