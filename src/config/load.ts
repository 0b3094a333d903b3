/**
 * Loads the configuration: defaults ← optional JSON file ← MESHWATCH_* environment ←
 * command-line overrides. The only module that reads process.env. Fails fast with every
 * problem listed by field path.
 */
import { readFileSync } from 'node:fs';
import { MeshwatchError } from '../errors.js';
import { type Config, ConfigSchema } from './schema.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Record<string, { path: string; type: 'string' | 'number' | 'boolean' | 'list' }> = {
  MESHWATCH_ROLE: { path: 'role', type: 'string' },
  MESHWATCH_LOG_LEVEL: { path: 'log.level', type: 'string' },
  MESHWATCH_LOG_FORMAT: { path: 'log.format', type: 'string' },
  MESHWATCH_SHUTDOWN_TIMEOUT_MS: { path: 'shutdownTimeoutMs', type: 'number' },
  MESHWATCH_PROGRESS_INTERVAL_MS: { path: 'progressIntervalMs', type: 'number' },
  MESHWATCH_KAFKA_BROKERS: { path: 'kafka.brokers', type: 'list' },
  MESHWATCH_KAFKA_CLIENT_ID: { path: 'kafka.clientId', type: 'string' },
  MESHWATCH_TOPIC_ENVOY: { path: 'kafka.topics.envoy', type: 'list' },
  MESHWATCH_TOPIC_CADVISOR: { path: 'kafka.topics.cadvisor', type: 'list' },
  MESHWATCH_TOPIC_SAMPLES: { path: 'kafka.topics.samples', type: 'list' },
  MESHWATCH_TOPIC_WINDOWS: { path: 'kafka.topics.windows', type: 'string' },
  MESHWATCH_TOPIC_ALERTS: { path: 'kafka.topics.alerts', type: 'string' },
  MESHWATCH_TOPIC_DLQ: { path: 'kafka.topics.dlq', type: 'string' },
  MESHWATCH_TOPIC_INCIDENTS: { path: 'kafka.topics.incidents', type: 'string' },
  MESHWATCH_TOPIC_CHANGELOG: { path: 'kafka.topics.changelog', type: 'string' },
  MESHWATCH_STORM_ENABLED: { path: 'incidents.storm.enabled', type: 'boolean' },
  MESHWATCH_GROUP_INGEST: { path: 'kafka.groups.ingest', type: 'string' },
  MESHWATCH_GROUP_DETECT: { path: 'kafka.groups.detect', type: 'string' },
  MESHWATCH_KAFKA_PARTITIONS: { path: 'kafka.partitions', type: 'number' },
  MESHWATCH_KAFKA_FROM_BEGINNING: { path: 'kafka.fromBeginning', type: 'boolean' },
  MESHWATCH_KAFKA_MAX_REQUEST_BYTES: { path: 'kafka.maxRequestBytes', type: 'number' },
  MESHWATCH_KAFKA_CONNECT_TIMEOUT_MS: { path: 'kafka.connectTimeoutMs', type: 'number' },
  MESHWATCH_KAFKA_MAX_OUTAGE_MS: { path: 'kafka.maxOutageMs', type: 'number' },
  MESHWATCH_KAFKA_SSL_CA: { path: 'kafka.ssl.ca', type: 'string' },
  MESHWATCH_KAFKA_SASL_MECHANISM: { path: 'kafka.sasl.mechanism', type: 'string' },
  MESHWATCH_KAFKA_SASL_USERNAME: { path: 'kafka.sasl.username', type: 'string' },
  MESHWATCH_KAFKA_SASL_PASSWORD: { path: 'kafka.sasl.password', type: 'string' },
  MESHWATCH_KAFKA_SASL_PASSWORD_FILE: { path: 'kafka.sasl.passwordFile', type: 'string' },
  MESHWATCH_REDIS_URL: { path: 'redis.url', type: 'string' },
  MESHWATCH_REDIS_PASSWORD_FILE: { path: 'redis.passwordFile', type: 'string' },
  MESHWATCH_REDIS_TLS_CA: { path: 'redis.tls.ca', type: 'string' },
  MESHWATCH_REDIS_MODE: { path: 'redis.mode', type: 'string' },
  MESHWATCH_REDIS_CLUSTER_NODES: { path: 'redis.clusterNodes', type: 'list' },
  MESHWATCH_REDIS_KEY_PREFIX: { path: 'redis.keyPrefix', type: 'string' },
  MESHWATCH_CLUSTER: { path: 'identity.cluster', type: 'string' },
  MESHWATCH_REDIS_CONNECT_TIMEOUT_MS: { path: 'redis.connectTimeoutMs', type: 'number' },
  MESHWATCH_REDIS_MAX_OUTAGE_MS: { path: 'redis.maxOutageMs', type: 'number' },
  MESHWATCH_WINDOW_MS: { path: 'window.ms', type: 'number' },
  MESHWATCH_WINDOW_LATENESS_WINDOWS: { path: 'window.allowedLatenessWindows', type: 'number' },
  MESHWATCH_WINDOW_IDLE_CLOSE_MS: { path: 'window.idleCloseMs', type: 'number' },
  MESHWATCH_MAX_MESSAGE_BYTES: { path: 'ingest.maxMessageBytes', type: 'number' },
  MESHWATCH_ON_DECODE_ERROR: { path: 'ingest.onDecodeError', type: 'string' },
  MESHWATCH_EVENT_TIME_MAX_AGE_MS: { path: 'ingest.eventTime.maxAgeMs', type: 'number' },
  MESHWATCH_THRESHOLD: { path: 'detection.threshold', type: 'number' },
  MESHWATCH_WARMUP_WINDOWS: { path: 'detection.warmupWindows', type: 'number' },
  MESHWATCH_PERSIST_WINDOWS: { path: 'detection.persistWindows', type: 'number' },
  MESHWATCH_RESOLVE_WINDOWS: { path: 'detection.resolveWindows', type: 'number' },
  MESHWATCH_HALF_LIFE_WINDOWS: { path: 'detection.halfLifeWindows', type: 'number' },
  MESHWATCH_HTTP_ENABLED: { path: 'http.enabled', type: 'boolean' },
  MESHWATCH_HTTP_HOST: { path: 'http.host', type: 'string' },
  MESHWATCH_HTTP_PORT: { path: 'http.port', type: 'number' },
  MESHWATCH_HTTP_TOKEN: { path: 'http.token', type: 'string' },
  MESHWATCH_PAGERDUTY_ENABLED: { path: 'sinks.pagerduty.enabled', type: 'boolean' },
  MESHWATCH_PAGERDUTY_URL: { path: 'sinks.pagerduty.url', type: 'string' },
  MESHWATCH_PAGERDUTY_INPUT: { path: 'sinks.pagerduty.input', type: 'string' },
  MESHWATCH_PAGERDUTY_ROUTING_KEY: { path: 'sinks.pagerduty.routingKey', type: 'string' },
  MESHWATCH_PAGERDUTY_ROUTING_KEY_FILE: { path: 'sinks.pagerduty.routingKeyFile', type: 'string' },
  MESHWATCH_PROFILES_DIR: { path: 'profiles.dir', type: 'string' },
  MESHWATCH_OCSF_ENABLED: { path: 'sinks.ocsf.enabled', type: 'boolean' },
  MESHWATCH_ECS_ENABLED: { path: 'sinks.ecs.enabled', type: 'boolean' },
  MESHWATCH_CEF_ENABLED: { path: 'sinks.cef.enabled', type: 'boolean' },
  MESHWATCH_SPLUNK_ENABLED: { path: 'sinks.splunk.enabled', type: 'boolean' },
  MESHWATCH_SPLUNK_INPUT: { path: 'sinks.splunk.input', type: 'string' },
  MESHWATCH_SPLUNK_URL: { path: 'sinks.splunk.url', type: 'string' },
  MESHWATCH_SPLUNK_TOKEN: { path: 'sinks.splunk.token', type: 'string' },
  MESHWATCH_SPLUNK_TOKEN_FILE: { path: 'sinks.splunk.tokenFile', type: 'string' },
  MESHWATCH_ALERTS_CLUSTER: { path: 'alerts.cluster', type: 'string' },
  MESHWATCH_ALERTMANAGER_ENABLED: { path: 'sinks.alertmanager.enabled', type: 'boolean' },
  MESHWATCH_ALERTMANAGER_URLS: { path: 'sinks.alertmanager.urls', type: 'list' },
  MESHWATCH_ALERTMANAGER_INPUT: { path: 'sinks.alertmanager.input', type: 'string' },
  MESHWATCH_WEBHOOK_INPUT: { path: 'sinks.webhook.input', type: 'string' },
  MESHWATCH_WEBHOOK_ENABLED: { path: 'sinks.webhook.enabled', type: 'boolean' },
  MESHWATCH_WEBHOOK_URL: { path: 'sinks.webhook.url', type: 'string' },
  MESHWATCH_WEBHOOK_SECRET: { path: 'sinks.webhook.secret', type: 'string' },
  MESHWATCH_WEBHOOK_SECRET_FILE: { path: 'sinks.webhook.secretFile', type: 'string' },
};

function setPath(obj: Obj, path: string, value: Json): void {
  const parts = path.split('.');
  let cur: Obj = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** Parses a text value for a path; numbers/booleans that do not parse are left as text so zod names the field. */
export function coerce(text: string, type: 'string' | 'number' | 'boolean' | 'list'): Json {
  switch (type) {
    case 'string':
      return text;
    case 'number':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  file?: string;
  /** Overrides by config path (from flags), applied last. */
  overrides?: Record<string, Json>;
}

export function loadConfig(opts: LoadOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  let raw: Obj = {};
  const file = opts.file ?? env.MESHWATCH_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new MeshwatchError('MW_CONFIG_INVALID', `config file ${file}: cannot be read`, { cause });
    }
    try {
      raw = JSON.parse(text) as Obj;
    } catch (cause) {
      throw new MeshwatchError('MW_CONFIG_INVALID', `config file ${file}: not valid JSON`, { cause });
    }
  }
  // The stack's own settings (scripts/stack.sh, the tests, the demo) name the local services;
  // MESHWATCH_* variables, the file and flags take precedence over them.
  const kafkaPort = env.KAFKA_PORT;
  if (kafkaPort && !env.MESHWATCH_KAFKA_BROKERS) setPath(raw, 'kafka.brokers', [`127.0.0.1:${kafkaPort}`]);
  if (env.REDIS_URL && !env.MESHWATCH_REDIS_URL) setPath(raw, 'redis.url', env.REDIS_URL);
  for (const [name, spec] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, spec.path, coerce(v, spec.type));
  }
  for (const [path, v] of Object.entries(opts.overrides ?? {})) setPath(raw, path, v);
  resolveRouteKeys(raw, env);
  return parseConfig(raw);
}

/** PagerDuty routing rules may name the environment variable holding their key (`routingKeyEnv`): read here, never shown. */
function resolveRouteKeys(raw: Obj, env: Record<string, string | undefined>): void {
  const sinks = raw.sinks;
  const pd = sinks && typeof sinks === 'object' && !Array.isArray(sinks) ? sinks.pagerduty : undefined;
  const routes = pd && typeof pd === 'object' && !Array.isArray(pd) ? pd.routes : undefined;
  if (!Array.isArray(routes)) return;
  routes.forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r) || typeof r.routingKeyEnv !== 'string') return;
    const v = env[r.routingKeyEnv];
    if (v === undefined || v === '') {
      throw new MeshwatchError('MW_CONFIG_INVALID', `sinks.pagerduty.routes.${i}.routingKeyEnv: ${r.routingKeyEnv} is not set`);
    }
    r.routingKey = v.trim();
  });
}

/**
 * Whether the environment asks for debug output (MESHWATCH_LOG_LEVEL=debug or MESHWATCH_DEBUG=1).
 * Read before the configuration is parsed, so an error while loading it can still show its stack.
 */
export function debugFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  return env.MESHWATCH_LOG_LEVEL === 'debug' || env.MESHWATCH_DEBUG === '1' || env.MESHWATCH_DEBUG === 'true';
}

/** The log format and level the environment asks for, read before the configuration is parsed (its errors are logged). */
export const logFromEnv = (env: Record<string, string | undefined> = process.env): { format?: string; level?: string } => ({
  ...(env.MESHWATCH_LOG_FORMAT ? { format: env.MESHWATCH_LOG_FORMAT } : {}),
  ...(env.MESHWATCH_LOG_LEVEL ? { level: env.MESHWATCH_LOG_LEVEL } : {}),
});

export function parseConfig(raw: unknown): Readonly<Config> {
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new MeshwatchError('MW_CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  }
  return deepFreeze(r.data);
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}
