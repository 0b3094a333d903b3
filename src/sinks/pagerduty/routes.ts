/**
 * PagerDuty routing rules: which integration key an alert goes to, by namespace, service
 * and severity (`sinks.pagerduty.routes`, first match wins; every field a rule gives must
 * match; an alert no rule matches takes the default key, and with none it is refused and
 * parked). Keys come from the configuration (set from the environment by
 * MESHWATCH_PAGERDUTY_ROUTING_KEY or a rule's routingKeyEnv) or a file, read once at
 * start-up; `secrets` lists them all so the sink can keep every one out of its messages.
 */
import { readFileSync } from 'node:fs';
import { type Config } from '../../config/schema.js';
import { type Alert } from '../../core/alert/schema.js';
import { MeshwatchError } from '../../errors.js';
import { log } from '../../log.js';
import { ROUTING_KEY_PATTERN, routingKeyOf } from './routing-key.js';

type Route = Config['sinks']['pagerduty']['routes'][number];

export interface Router {
  /** The key for this alert; undefined when no rule matches and there is no default. */
  keyFor(alert: Pick<Alert, 'service' | 'severity'>): string | undefined;
  readonly secrets: readonly string[];
}

export function matches(r: Pick<Route, 'namespace' | 'service' | 'severity'>, alert: Pick<Alert, 'service' | 'severity'>): boolean {
  return (
    (r.namespace === undefined || r.namespace === alert.service.namespace) &&
    (r.service === undefined || r.service === alert.service.name) &&
    (r.severity === undefined || r.severity.includes(alert.severity))
  );
}

export function routerOf(c: Config['sinks']['pagerduty']): Router {
  const fallback = c.routingKey !== undefined || c.routingKeyFile !== undefined ? routingKeyOf(c) : undefined;
  const rules = c.routes.map((r, i) => ({ r, key: r.routingKey ?? keyFromFile(r.routingKeyFile ?? '', i) }));
  return {
    keyFor: (alert) => rules.find(({ r }) => matches(r, alert))?.key ?? fallback,
    secrets: [...new Set([...rules.map((x) => x.key), ...(fallback ? [fallback] : [])])],
  };
}

function keyFromFile(file: string, i: number): string {
  const field = `sinks.pagerduty.routes.${i}.routingKeyFile`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new MeshwatchError('MW_CONFIG_INVALID', `${field} ${file}: cannot be read (${String(code)})`);
  }
  const key = text.trim();
  if (!ROUTING_KEY_PATTERN.test(key)) {
    throw new MeshwatchError('MW_CONFIG_INVALID', `${field} ${file}: does not hold a routing key (32 letters and digits)`);
  }
  log().addSecrets([key]);
  return key;
}
