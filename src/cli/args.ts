/**
 * Command-line flags shared by the commands. `--set path=value` overrides any config
 * field (e.g. --set detection.threshold=5); values are JSON when they parse, else text.
 */
import { parseArgs } from 'node:util';

export interface CommonFlags {
  config?: string;
  overrides: Record<string, unknown>;
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export function parseFlags(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}): CommonFlags {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      set: { type: 'string', multiple: true },
      role: { type: 'string' },
      brokers: { type: 'string' },
      'redis-url': { type: 'string' },
      'window-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...extra,
    },
  });
  const overrides: Record<string, unknown> = {};
  if (typeof values.role === 'string') overrides.role = values.role;
  if (typeof values.brokers === 'string') overrides['kafka.brokers'] = values.brokers.split(',');
  if (typeof values['redis-url'] === 'string') overrides['redis.url'] = values['redis-url'];
  if (typeof values['window-ms'] === 'string') overrides['window.ms'] = jsonOrText(values['window-ms']);
  for (const kv of values.set ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--set expects path=value, got '${kv}'`);
    overrides[kv.slice(0, i)] = jsonOrText(kv.slice(i + 1));
  }
  const out: CommonFlags = { overrides, positionals, values };
  if (typeof values.config === 'string') out.config = values.config;
  return out;
}

function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
