/**
 * Where kafkajs's own log lines go. kafkajs logs every failed connection attempt and every
 * retried request at ERROR, which buries the one line that matters under tens of seconds of
 * noise when a broker is down; meshwatch reports dependency trouble itself (MW codes, the
 * address, retries and outages). So:
 * - `debug`: every kafkajs line (INFO and up) goes to the sink, as `kafkajs LEVEL [ns] message {extra}`;
 * - otherwise only a consumer crash (the one kafkajs error that can stop work silently) is
 *   written, as one `meshwatch: kafka client: …` line; the rest is dropped.
 * `onEntry` sees every entry whatever the mode (the probe keeps the last error as its cause).
 */
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';

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
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  return () => (entry) => {
    opts.onEntry?.(entry);
    const { message } = entry.log;
    const extra: Record<string, unknown> = { ...entry.log };
    for (const k of ['message', 'timestamp', 'logger']) delete extra[k];
    if (opts.mode === 'debug') {
      const rest = Object.keys(extra).length ? ' ' + safeJson(extra) : '';
      write(`kafkajs ${LEVEL_NAMES[entry.level] ?? entry.level} [${entry.namespace}] ${message}${rest}`);
    } else if (entry.level === logLevel.ERROR && /crash/i.test(message)) {
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
