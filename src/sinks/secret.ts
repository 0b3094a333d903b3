/**
 * A sink's secret from the configuration or from a file (a mounted secret), read once at
 * start-up. An unreadable or empty file fails with MW_CONFIG_INVALID naming the field;
 * no message ever shows the secret.
 */
import { readFileSync } from 'node:fs';
import { MeshwatchError } from '../errors.js';
import { log } from '../log.js';

export function readSecret(field: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value !== undefined || file === undefined) return value;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new MeshwatchError('MW_CONFIG_INVALID', `${field}.secretFile ${file}: cannot be read (${String(code)})`);
  }
  const secret = text.trim();
  if (secret.length < 16) throw new MeshwatchError('MW_CONFIG_INVALID', `${field}.secretFile ${file}: holds fewer than 16 characters`);
  log().addSecrets([secret]);
  return secret;
}
