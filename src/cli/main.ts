#!/usr/bin/env node
/**
 * meshwatch command line: run | replay | demo | profiles | sinks | state, and --version. Configuration: defaults ←
 * --config FILE (or MESHWATCH_CONFIG) ← MESHWATCH_* environment ← flags.
 * Every failure is one line on stderr, `meshwatch: MW_CODE: message`, never a stack trace
 * unless debug output was asked for (`--log-level debug`, MESHWATCH_LOG_LEVEL=debug or
 * MESHWATCH_DEBUG=1). Exit codes: 0 done; 1 unexpected error; 2 usage or configuration
 * (the usage follows a command-line error); 3 a dependency (Kafka, Redis) unreachable at
 * start-up or for longer than its outage bound, or refusing meshwatch's credentials.
 */
import { readFileSync } from 'node:fs';
import { debugFromEnv, loadConfig, logFromEnv } from '../config/load.js';
import { configSecrets, redactConfig } from '../config/redact.js';
import { type ErrorCode, MeshwatchError } from '../errors.js';
import { configureLog, isLogFormat, isLogLevel, log } from '../log.js';
import { debugFlag, flagValue, parseFlags } from './args.js';
import { demoCommand } from './demo.js';
import { profilesDeclareCommand, profilesRemoveCommand } from './profiles-declare.js';
import { PROFILE_FLAGS, profilesCommand } from './profiles.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { sinksCommand } from './sinks.js';
import { STATE_FLAGS, stateCommand } from './state.js';

const USAGE = `usage: meshwatch <command> [options]

commands:
  run [--role all|ingest|detect]   consume the raw topics, detect, publish alerts (default role: all)
  run --role sink-pagerduty        deliver the alerts topic to PagerDuty (also in role all when enabled)
  run --role sink-alertmanager     … to Alertmanager; --role sink-webhook: to the webhook
  sinks test --sink NAME           send a synthetic firing and resolved incident through a sink
  sinks replay-parked --sink NAME  re-deliver the alerts parked on meshwatch.alerts.parked.NAME
  replay FILE|-                    run NDJSON records through the pipeline in memory; alerts to stdout
  demo                             a synthetic mesh through the real topics, with injected anomalies
  config check                     validate the configuration and print it in effect, secrets redacted
  profiles declare FILE...         check profile files and put them in force (in Redis) for every detect instance
  profiles remove WORKLOAD...      remove profiles declared that way ([cluster:]namespace/name)
  profiles list|show|recommend|export [SERVICE]
                                   learned profiles in Redis: recommendations (VPA estimators) and
                                   --format k8s|istio|networkpolicy|profile manifests (README: profiles)
  state rebuild [--partitions 0,1,…]
                                   refill Redis with the service states of the state changelog topic

options:
  -c, --config FILE      JSON config file (see README: configuration)
  --set path=value       override one config field, e.g. --set detection.threshold=5
  --brokers h:p[,h:p]    Kafka brokers            --redis-url URL   Redis URL
  --window-ms N          window length            --role ROLE       process role
  --log-level LEVEL      error|warn|info|debug (debug: client libraries' lines, stack traces)
  --log-format FORMAT    text|json (json: one object per line on stderr)
  -V, --version          print the version        -h, --help        this text
`;

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  MW_USAGE: 2,
  MW_CONFIG_INVALID: 2,
  MW_KAFKA_UNAVAILABLE: 3,
  MW_STORE_UNAVAILABLE: 3,
  MW_KAFKA_AUTH: 3,
  MW_REDIS_AUTH: 3,
  MW_PROFILE_INVALID: 2,
  MW_PROFILE_TOO_LARGE: 2,
  MW_PROFILE_UNREADABLE: 2,
};

/** The package's version, from the package.json two levels above this module (src/cli or dist/cli). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

let debug = false;

async function main(argv: string[]): Promise<number> {
  debug = debugFromEnv() || debugFlag(argv);
  // Until the configuration is read (its errors are logged too): the format and level the flags or environment ask for.
  const env = logFromEnv();
  const early = { format: flagValue(argv, '--log-format') ?? env.format, level: flagValue(argv, '--log-level') ?? env.level };
  configureLog({ format: isLogFormat(early.format) ? early.format : 'text', level: isLogLevel(early.level) ? early.level : 'info' });
  const [command, ...rest] = argv;
  if (command === '-V' || command === '--version' || command === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command.startsWith('-')) throw new MeshwatchError('MW_USAGE', `a command comes first, got '${command}'`);
  const flags = parseFlags(
    rest,
    command === 'profiles' ? PROFILE_FLAGS : command === 'sinks' ? { sink: { type: 'string' } } : command === 'state' ? STATE_FLAGS : {},
  );
  if (flags.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!['run', 'replay', 'demo', 'config', 'profiles', 'sinks', 'state'].includes(command))
    throw new MeshwatchError('MW_USAGE', `unknown command '${command}'`);
  const config = loadConfig({ ...(flags.config ? { file: flags.config } : {}), overrides: flags.overrides as never });
  debug ||= config.log.level === 'debug';
  configureLog({ level: config.log.level, format: config.log.format }).addSecrets(configSecrets(config));
  switch (command) {
    case 'config': {
      if (flags.positionals[0] !== 'check') throw new MeshwatchError('MW_USAGE', "config: the subcommand is 'check'");
      process.stdout.write(log().scrub(`${JSON.stringify(redactConfig(config), null, 2)}\n`));
      return 0;
    }
    case 'run':
      return runCommand(config);
    case 'profiles': {
      const [sub, ...args] = flags.positionals;
      if (sub === 'declare') return profilesDeclareCommand(config, args);
      if (sub === 'remove') return profilesRemoveCommand(config, args);
      return profilesCommand(config, flags);
    }
    case 'sinks':
      return sinksCommand(config, flags.positionals[0], typeof flags.values.sink === 'string' ? flags.values.sink : undefined);
    case 'state':
      return stateCommand(config, flags.positionals[0], typeof flags.values.partitions === 'string' ? flags.values.partitions : undefined);
    case 'replay': {
      const file = flags.positionals[0];
      if (!file) throw new MeshwatchError('MW_USAGE', 'replay: give a file, or - for standard input');
      return replayCommand(config, file);
    }
    default:
      return demoCommand(config);
  }
}

/** One line (or, with debug, the stack) for a failure; secrets redacted (the log's scrub). */
function describe(e: unknown): string {
  if (e instanceof MeshwatchError) {
    const line = `meshwatch: ${e.code}: ${e.message}\n`;
    const more = debug && e.cause instanceof Error && e.cause.stack ? `caused by: ${e.cause.stack}\n` : '';
    const usage = e.code === 'MW_USAGE' ? `\n${USAGE}` : '';
    return log().scrub(line + more + usage);
  }
  if (debug && e instanceof Error && e.stack) return log().scrub(`meshwatch: unexpected error: ${e.stack}\n`);
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return log().scrub(`meshwatch: unexpected error: ${what.split('\n')[0]} (--log-level debug shows where)\n`);
}

/** The failure as one JSON log event (format json): its code, message and, with debug, the stack. */
function logFailure(e: unknown): void {
  const stack = debug && e instanceof Error ? ((e.cause instanceof Error ? e.cause.stack : undefined) ?? e.stack) : undefined;
  if (e instanceof MeshwatchError) log().error(`${e.code}: ${e.message}`, stack ? { stack } : {});
  else log().error(`unexpected error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, stack ? { stack } : {});
}

/** Exits once the stream has drained: client libraries may keep sockets and timers alive after a command is done. */
function exitAfter(stream: NodeJS.WriteStream, code: number): void {
  process.exitCode = code;
  stream.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => exitAfter(process.stdout, code),
  (e: unknown) => {
    if (log().format === 'json') logFailure(e);
    else process.stderr.write(describe(e));
    exitAfter(process.stderr, e instanceof MeshwatchError ? (EXIT_CODES[e.code] ?? 1) : 1);
  },
);
