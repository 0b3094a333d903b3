/**
 * Command-line flags shared by the commands. `--set path=value` overrides any config
 * field (e.g. --set detection.threshold=5); values are JSON when they parse, else text.
 * A flag that is not understood (unknown, missing its value, `--set` without `=`) throws
 * MeshwatchError('MW_USAGE') with one line saying which; main prints it with the usage.
 */
import { parseArgs } from 'node:util';
import { MeshwatchError } from '../errors.js';

export interface CommonFlags {
  config?: string;
  overrides: Record<string, unknown>;
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  role: { type: 'string' },
  brokers: { type: 'string' },
  'redis-url': { type: 'string' },
  'window-ms': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export function parseFlags(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}): CommonFlags {
  let parsed: { values: CommonFlags['values']; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...OPTIONS, ...extra } });
  } catch (e) {
    throw usageError(e);
  }
  const { values, positionals } = parsed;
  const overrides: Record<string, unknown> = {};
  if (typeof values.role === 'string') overrides.role = values.role;
  if (typeof values.brokers === 'string') overrides['kafka.brokers'] = values.brokers.split(',');
  if (typeof values['redis-url'] === 'string') overrides['redis.url'] = values['redis-url'];
  if (typeof values['window-ms'] === 'string') overrides['window.ms'] = jsonOrText(values['window-ms']);
  if (typeof values['log-level'] === 'string') overrides['log.level'] = values['log-level'];
  if (typeof values['log-format'] === 'string') overrides['log.format'] = values['log-format'];
  for (const kv of (values.set as string[] | undefined) ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new MeshwatchError('MW_USAGE', `--set expects path=value, got '${kv}'`);
    overrides[kv.slice(0, i)] = jsonOrText(kv.slice(i + 1));
  }
  const out: CommonFlags = { overrides, positionals, values };
  if (typeof values.config === 'string') out.config = values.config;
  return out;
}

/** Whether the command line asks for debug output (`--log-level debug`), read without failing on anything else. */
export function debugFlag(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--log-level=debug' || (a === '--log-level' && argv[i + 1] === 'debug'));
}

/** A flag's value (`--name value` or `--name=value`), read without failing on anything else; undefined when absent. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** node:util's parse errors, in one line: `unknown option '--bogus'`, `option '--redis-url <value>' needs a value`. */
function usageError(e: unknown): MeshwatchError {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const flag = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new MeshwatchError('MW_USAGE', `unknown option '${flag}'`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new MeshwatchError(
        'MW_USAGE',
        /argument missing/.test(message) ? `option '${flag}' needs a value` : (message.split('. ')[0] ?? message),
      );
    default:
      return new MeshwatchError('MW_USAGE', message.split('. ')[0] ?? message);
  }
}

function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
