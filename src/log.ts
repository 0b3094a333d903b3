/**
 * meshwatch's log: one event per line on standard error, at a level (`error` < `warn` < `info`
 * < `debug`; events above the configured level are dropped) and in a format:
 *
 * - `text` (the default): `meshwatch: [warning: ][MW_CODE: ]message`, the lines operators and
 *   tests already know (fields are for the JSON form; a text message says what matters itself);
 * - `json`: `{"time":"…","level":"warn","code":"MW_…","msg":"…", …fields}`, one object per line
 *   (`code` only when the event has one; fields never overwrite time, level, code or msg).
 *
 * A message that starts with an MW code (`MW_STORE_UNAVAILABLE: redis at …`) carries that code.
 *
 * Redaction: every line, whatever the format, loses URL passwords (config/redact.ts) and every
 * secret the log was told about (`addSecrets`: the configuration's passwords, tokens and
 * routing keys, the secrets read from files), raw and URL-encoded, before it is written.
 *
 * One process-wide log (`log()`), configured once by the composition root (`configureLog`):
 * client-library adapters (kafkajs's log lines) write through it without being handed it.
 */
import { redactText } from './config/redact.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where a finished line goes (default: standard error). */
  write?: (line: string) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const RESERVED = new Set(['time', 'level', 'code', 'msg']);
const MASK = '***';
/** Shorter secrets are not scrubbed from free text (they would mask ordinary words); config dumps still mask them. */
const MIN_SECRET_CHARS = 4;

export class Logger {
  private readonly secrets = new Set<string>();
  private sorted: string[] = [];

  constructor(private readonly opts: LogOptions) {}

  get level(): LogLevel {
    return this.opts.level;
  }

  get format(): LogFormat {
    return this.opts.format;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.opts.level];
  }

  /** Secrets to scrub from every line from now on (raw and URL-encoded). */
  addSecrets(secrets: Iterable<string>): void {
    for (const s of secrets) {
      if (s.length < MIN_SECRET_CHARS) continue;
      this.secrets.add(s);
      this.secrets.add(encodeURIComponent(s));
    }
    this.sorted = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  /** The secrets this log scrubs (to carry them over to a reconfigured log). */
  knownSecrets(): string[] {
    return [...this.secrets];
  }

  /** A text with every known secret and URL password replaced by `***`. */
  scrub(text: string): string {
    let out = redactText(text);
    for (const s of this.sorted) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const m = /^(MW_[A-Z0-9_]+): ([\s\S]*)$/.exec(message);
    const code = m?.[1];
    const msg = m?.[2] ?? message;
    let line: string;
    if (this.opts.format === 'json') {
      const event: Record<string, unknown> = { time: (this.opts.now?.() ?? new Date()).toISOString(), level };
      if (code) event.code = code;
      event.msg = msg;
      for (const [k, v] of Object.entries(fields)) if (!RESERVED.has(k) && v !== undefined) event[k] = v;
      line = safeJson(this.scrubValue(event));
    } else {
      line = `meshwatch: ${level === 'warn' ? 'warning: ' : ''}${message}`;
    }
    // Once more over the finished line: a secret split across a value and its escaping stays masked.
    (this.opts.write ?? writeStderr)(this.scrub(line));
  }

  private scrubValue(v: unknown): unknown {
    if (typeof v === 'string') return this.scrub(v);
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return this.scrub(`${v.name}: ${v.message}`);
    if (Array.isArray(v)) return v.map((x) => this.scrubValue(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.scrubValue(x)]));
    return v;
  }
}

const writeStderr = (line: string): void => void process.stderr.write(line + '\n');

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x);
  } catch {
    return JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'a log event could not be serialised' });
  }
}

let current = new Logger({ level: 'info', format: 'text' });

/** The process's log (text, info, standard error until `configureLog`). */
export const log = (): Logger => current;

/** Replaces the process's log; the secrets the old one knew carry over. */
export function configureLog(opts: LogOptions): Logger {
  const next = new Logger(opts);
  next.addSecrets(current.knownSecrets());
  current = next;
  return current;
}

/** Whether a value names a level / a format (flags and environment read before the config parses). */
export const isLogLevel = (v: unknown): v is LogLevel => typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
export const isLogFormat = (v: unknown): v is LogFormat => typeof v === 'string' && (LOG_FORMATS as readonly string[]).includes(v);
