#!/usr/bin/env node
/**
 * meshwatch command line: run | replay | demo. Configuration: defaults ← --config FILE
 * (or MESHWATCH_CONFIG) ← MESHWATCH_* environment ← flags. A bad value exits 2 naming
 * the field.
 */
import { loadConfig } from '../config/load.js';
import { MeshwatchError } from '../errors.js';
import { parseFlags } from './args.js';
import { demoCommand } from './demo.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';

const USAGE = `usage: meshwatch <command> [options]

commands:
  run [--role all|ingest|detect]   consume the raw topics, detect, publish alerts (default role: all)
  replay FILE|-                    run NDJSON records through the pipeline in memory; alerts to stdout
  demo                             a synthetic mesh through the real topics, with injected anomalies

options:
  -c, --config FILE      JSON config file (see README: configuration)
  --set path=value       override one config field, e.g. --set detection.threshold=5
  --brokers h:p[,h:p]    Kafka brokers            --redis-url URL   Redis URL
  --window-ms N          window length            --role ROLE       process role
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const flags = parseFlags(rest);
  if (flags.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig({ ...(flags.config ? { file: flags.config } : {}), overrides: flags.overrides as never });
  switch (command) {
    case 'run':
      return runCommand(config);
    case 'replay': {
      const file = flags.positionals[0];
      if (!file) throw new MeshwatchError('MW_CONFIG_INVALID', 'replay: give a file, or - for standard input');
      return replayCommand(config, file);
    }
    case 'demo':
      return demoCommand(config);
    default:
      process.stderr.write(`meshwatch: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout has drained: client libraries may keep idle sockets and timers alive
    // after a command has finished its work and closed what it opened.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof MeshwatchError) {
      process.stderr.write(`meshwatch: ${e.code}: ${e.message}\n`);
      process.exitCode = e.code === 'MW_CONFIG_INVALID' ? 2 : 1;
    } else {
      process.stderr.write(`meshwatch: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
