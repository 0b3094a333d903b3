/**
 * The PagerDuty routing key from the configuration: `sinks.pagerduty.routingKey` (also set
 * by MESHWATCH_PAGERDUTY_ROUTING_KEY) or the file `routingKeyFile` names (its text, trimmed;
 * e.g. a mounted Kubernetes secret). Read once at start-up. An unreadable file or a key that
 * is not 32 letters and digits fails with MW_CONFIG_INVALID; no message ever shows the key.
 */
import { readFileSync } from 'node:fs';
import { type Config } from '../../config/schema.js';
import { MeshwatchError } from '../../errors.js';
import { log } from '../../log.js';

export const ROUTING_KEY_PATTERN = /^[A-Za-z0-9]{32}$/;

export function routingKeyOf(c: Config['sinks']['pagerduty']): string {
  if (c.routingKey !== undefined) return c.routingKey;
  if (c.routingKeyFile === undefined) {
    throw new MeshwatchError('MW_CONFIG_INVALID', 'sinks.pagerduty: routingKey or routingKeyFile is required');
  }
  let text: string;
  try {
    text = readFileSync(c.routingKeyFile, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new MeshwatchError('MW_CONFIG_INVALID', `sinks.pagerduty.routingKeyFile ${c.routingKeyFile}: cannot be read (${String(code)})`);
  }
  const key = text.trim();
  if (!ROUTING_KEY_PATTERN.test(key)) {
    throw new MeshwatchError(
      'MW_CONFIG_INVALID',
      `sinks.pagerduty.routingKeyFile ${c.routingKeyFile}: does not hold a routing key (32 letters and digits)`,
    );
  }
  // Not in the configuration: the log learns it here, to scrub it like the configured secrets.
  log().addSecrets([key]);
  return key;
}
