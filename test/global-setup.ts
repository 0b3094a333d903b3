/**
 * Starts the real services the integration tests need (Kafka broker, Redis) through
 * scripts/stack.sh, which is idempotent: whatever already answers is reused.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/stack.sh', import.meta.url));
  execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
}
