/**
 * How meshwatch reaches Kafka and Redis securely: TLS (a CA file, an optional client
 * certificate), SASL for Kafka, Redis Cluster seeds. Paths name files read at connection
 * time (src/sources/kafka/security.ts, src/stores/redis/connection.ts); a password is given
 * inline (or by environment) or as a file, and is redacted in every dump (config/redact.ts
 * masks fields named `password`).
 */
import { z } from 'zod';
import { positiveInt } from './schema-common.js';

const path = z.string().min(1);

/** TLS towards a server: whose certificates to trust, and this client's own certificate (mutual TLS). */
const tlsFields = {
  /** PEM file of the CA(s) that signed the server's certificate (default: Node's built-in roots). */
  ca: path.optional(),
  /** PEM client certificate and its key, for servers that require mutual TLS. */
  cert: path.optional(),
  key: path.optional(),
  /** Verify the server's certificate against `ca`; turn off only for a test setup. */
  rejectUnauthorized: z.boolean().default(true),
  /** The name to verify the server's certificate against (default: the host connected to). */
  servername: z.string().min(1).optional(),
};

const certAndKey = (t: { cert?: string | undefined; key?: string | undefined }): boolean =>
  (t.cert === undefined) === (t.key === undefined);

/** `kafka.ssl`: set (even `{}`) means every broker connection is TLS. */
export const KafkaSslSchema = z
  .object(tlsFields)
  .strict()
  .refine(certAndKey, { message: 'give cert and key together', path: ['key'] });

/** `kafka.sasl`: SASL authentication on every broker connection (over TLS when `kafka.ssl` is set). */
export const KafkaSaslSchema = z
  .object({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).default('scram-sha-512'),
    username: z.string().min(1),
    /** Inline or from MESHWATCH_KAFKA_SASL_PASSWORD; never logged. */
    password: z.string().min(1).optional(),
    /** A file holding the password (a mounted secret); read at start-up, trailing newline ignored. */
    passwordFile: path.optional(),
  })
  .strict()
  .refine((s) => (s.password === undefined) !== (s.passwordFile === undefined), {
    message: 'give one of password (or MESHWATCH_KAFKA_SASL_PASSWORD) and passwordFile',
    path: ['password'],
  });

/** `redis.tls`: certificates for a `rediss://` URL (the URL's scheme turns TLS on). */
export const RedisTlsSchema = z
  .object(tlsFields)
  .strict()
  .refine(certAndKey, { message: 'give cert and key together', path: ['key'] });

/** `host:port` of a Redis Cluster node. */
const hostPort = z.string().regex(/^[^:\s/@]+:\d+$/, 'host:port');

/** `redis`: where state lives (one server or a Redis Cluster), over TLS with `rediss://`, the ACL user and password in the URL. */
export const RedisSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    keyPrefix: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default('mw'),
    /** Start-up bound: Redis must answer within this, else exit non-zero (MW_STORE_UNAVAILABLE). */
    connectTimeoutMs: positiveInt.default(30_000),
    /** Running: Redis may stay unreachable this long (reconnects with backoff) before the process exits non-zero. */
    maxOutageMs: positiveInt.default(120_000),
    /** A file holding the password (a mounted secret): replaces the URL's password, read at start-up. */
    passwordFile: path.optional(),
    /** Certificates for a rediss:// URL. */
    tls: RedisTlsSchema.optional(),
    /** `cluster`: the URL's node and `clusterNodes` seed a Redis Cluster (keys carry hash tags: one service, one slot). */
    mode: z.enum(['standalone', 'cluster']).default('standalone'),
    clusterNodes: z.array(hostPort).default([]),
  })
  .strict()
  .refine((r) => r.tls === undefined || r.url.startsWith('rediss://'), {
    message: 'redis.tls needs a rediss:// URL (the scheme turns TLS on)',
    path: ['tls'],
  })
  .refine((r) => r.mode !== 'cluster' || !/^rediss?:\/\/[^/]*\/[1-9]/.test(r.url), {
    message: 'a Redis Cluster has only database 0',
    path: ['url'],
  })
  .prefault({});

export type KafkaSsl = z.infer<typeof KafkaSslSchema>;
export type KafkaSasl = z.infer<typeof KafkaSaslSchema>;
/** The same fields as `kafka.ssl`. */
export type RedisTls = z.infer<typeof RedisTlsSchema>;
