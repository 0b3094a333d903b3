/**
 * The files a connection's security settings name (CA, client certificate and key, a password
 * file), read when a client is built. A file that cannot be read fails with MW_CONFIG_INVALID
 * naming the field and the path (never the content).
 */
import { readFileSync } from 'node:fs';
import { type ConnectionOptions } from 'node:tls';
import { MeshwatchError } from '../errors.js';
import { type KafkaSsl } from './schema-connections.js';

/** A configured file's text; `field` is its config path (`kafka.ssl.ca`). */
export function readConfigFile(field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new MeshwatchError('MW_CONFIG_INVALID', `${field} ${path}: cannot be read (${String(code)})`);
  }
}

/** A secret kept in a file (a mounted secret): its text without the trailing newline; an empty file is an error. */
export function readSecretFile(field: string, path: string): string {
  const secret = readConfigFile(field, path).replace(/\r?\n$/, '');
  if (secret === '') throw new MeshwatchError('MW_CONFIG_INVALID', `${field} ${path}: is empty`);
  return secret;
}

/** Node TLS options for a `kafka.ssl` / `redis.tls` block (`field` names it in errors). */
export function tlsOptionsOf(field: string, t: KafkaSsl | undefined): ConnectionOptions {
  if (!t) return {};
  return {
    rejectUnauthorized: t.rejectUnauthorized,
    ...(t.ca !== undefined ? { ca: readConfigFile(`${field}.ca`, t.ca) } : {}),
    ...(t.cert !== undefined ? { cert: readConfigFile(`${field}.cert`, t.cert) } : {}),
    ...(t.key !== undefined ? { key: readConfigFile(`${field}.key`, t.key) } : {}),
    ...(t.servername !== undefined ? { servername: t.servername } : {}),
  };
}
