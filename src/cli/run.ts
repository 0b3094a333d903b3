/**
 * `meshwatch run`: the long-running service, until SIGINT/SIGTERM (graceful shutdown, exit
 * 0) or until a worker stops for good (the fatal MeshwatchError is printed, exit 1).
 */
import { type Config } from '../config/schema.js';
import { startMeshwatch } from '../runtime/app.js';

export async function runCommand(config: Readonly<Config>): Promise<number> {
  const running = await startMeshwatch(config, {
    onAlert: (a) => process.stdout.write(JSON.stringify(a) + '\n'),
  });
  process.stderr.write(`meshwatch: running role=${config.role} brokers=${config.kafka.brokers.join(',')}\n`);
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const fatal = await Promise.race([signalled.then(() => undefined), running.fatal]);
  if (fatal) {
    process.stderr.write(`meshwatch: ${fatal.code}: ${fatal.message}\n`);
    process.stderr.write(`meshwatch: counters ${JSON.stringify(running.counters.snapshot())}\n`);
    return 1;
  }
  process.stderr.write('meshwatch: shutting down\n');
  await running.stop();
  process.stderr.write(`meshwatch: counters ${JSON.stringify(running.counters.snapshot())}\n`);
  return 0;
}
