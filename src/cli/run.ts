/** `meshwatch run`: the long-running service, until SIGINT/SIGTERM (graceful shutdown). */
import { type Config } from '../config/schema.js';
import { startMeshwatch } from '../runtime/app.js';

export async function runCommand(config: Readonly<Config>): Promise<number> {
  const running = await startMeshwatch(config, {
    onAlert: (a) => process.stdout.write(JSON.stringify(a) + '\n'),
  });
  process.stderr.write(`meshwatch: running role=${config.role} brokers=${config.kafka.brokers.join(',')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('meshwatch: shutting down\n');
  await running.stop();
  process.stderr.write(`meshwatch: counters ${JSON.stringify(running.counters.snapshot())}\n`);
  return 0;
}
