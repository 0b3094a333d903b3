/**
 * The Splunk HEC token from the configuration: `sinks.splunk.token` (also set by
 * MESHWATCH_SPLUNK_TOKEN) or the file `tokenFile` names (its text, trimmed; e.g. a mounted
 * Kubernetes secret). Read once at start-up; an unreadable file or a malformed token fails with
 * MW_CONFIG_INVALID, and no message ever shows the token.
 */
import { readFileSync } from 'node:fs';
import { type Config } from '../../config/schema.js';
import { MeshwatchError } from '../../errors.js';
import { log } from '../../log.js';

const TOKEN_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

export function splunkTokenOf(c: Config['sinks']['splunk']): string {
  if (c.token !== undefined) return c.token;
  if (c.tokenFile === undefined) throw new MeshwatchError('MW_CONFIG_INVALID', 'sinks.splunk: token or tokenFile is required');
  let text: string;
  try {
    text = readFileSync(c.tokenFile, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new MeshwatchError('MW_CONFIG_INVALID', `sinks.splunk.tokenFile ${c.tokenFile}: cannot be read (${String(code)})`);
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token))
    throw new MeshwatchError('MW_CONFIG_INVALID', `sinks.splunk.tokenFile ${c.tokenFile}: does not hold a HEC token`);
  log().addSecrets([token]);
  return token;
}
