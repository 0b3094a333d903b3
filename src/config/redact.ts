/**
 * Redaction of secrets in addresses, for every message that names one. A URL keeps its
 * scheme, user, host, port and path; its password becomes `***`. `scrub` removes a URL's
 * password wherever it appears in a text (a client library's error message, say), so a
 * secret never reaches a log line. Pure: no I/O.
 */

const MASK = '***';

/** `redis://user:secret@h:6379/0` → `redis://user:***@h:6379/0`; text that is not a URL loses anything that looks like userinfo's password. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, `//$1:${MASK}@`);
  }
  if (u.password === '') return url;
  u.password = MASK;
  // URL escapes `*` nowhere, so the mask survives serialisation as written.
  return u.toString().replace(/%2A/gi, '*');
}

/** The secrets a URL carries (its password, raw and percent-decoded), longest first. */
export function secretsOf(url: string): string[] {
  let raw: string;
  try {
    raw = new URL(url).password;
  } catch {
    raw = /\/\/[^/@:]*:([^/@]*)@/.exec(url)?.[1] ?? '';
  }
  if (raw === '') return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // keep the raw form only
  }
  return [...new Set([raw, decoded])].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of the URL's secrets in a text with `***`. */
export function scrub(text: string, url: string): string {
  let out = text;
  for (const s of secretsOf(url)) out = out.split(s).join(MASK);
  return out;
}

/** Every `scheme://user:password@` in a text loses its password (for messages of unknown origin). */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]*@/gi, `$1:${MASK}@`);
}

/** Field names whose values are secrets wherever they appear in a configuration. */
const SECRET_FIELD = /(password|secret|token|routingkey|apikey|passphrase)$/i;

/**
 * A configuration (or any JSON-like value) safe to print: fields named like secrets become
 * `***`, and every string loses URL passwords. Pure; the input is not changed.
 */
export function redactConfig(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? MASK : redactConfig(v);
    return out;
  }
  return value;
}

/**
 * Every secret a configuration holds, for a log to scrub from free text: the values of fields
 * named like secrets and the passwords of URLs, wherever they are. Pure.
 */
export function configSecrets(value: unknown, key = ''): string[] {
  if (typeof value === 'string') {
    if (SECRET_FIELD.test(key)) return [value];
    return /:\/\/[^/@\s]*:[^/@\s]*@/.test(value) ? secretsOf(value) : [];
  }
  if (Array.isArray(value)) return value.flatMap((v) => configSecrets(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => configSecrets(v, k));
  return [];
}
