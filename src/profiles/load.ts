/**
 * Declared resource profiles from a directory of files (I/O; the schema lives in src/core/profile).
 *
 * Input: a directory; every regular file (or symlink to one) named *.yaml, *.yml or *.json in
 * it (not recursive, dot-files skipped, read in name order) holds one profile, a list of
 * profiles, or (YAML) several `---` documents each holding one of those.
 * Output: all profiles, or every problem found, never a part: a load with any problem yields
 * no profiles. Each problem names the file and, where there is one, the field path
 * (`spec.containers[0].resources.limits.cpu`) or the line and column.
 * Bounds: a file over `maxFileBytes` (1 MiB by default) is rejected without being read whole;
 * more than `maxFiles` files or `maxProfiles` profiles reject the load; YAML aliases are capped.
 * Failure modes: MW_PROFILE_UNREADABLE (directory or file cannot be read), MW_PROFILE_TOO_LARGE,
 * MW_PROFILE_INVALID (syntax, schema, two profiles for one workload).
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { type z } from 'zod';
import { type ErrorCode } from '../errors.js';
import { ResourceProfileSchema, workloadKey, type ResourceProfile } from '../core/profile/schema.js';

export interface ProfileLoadOptions {
  maxFileBytes: number;
  maxFiles: number;
  maxProfiles: number;
}

export const DEFAULT_PROFILE_LOAD_OPTIONS: Readonly<ProfileLoadOptions> = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxFiles: 1000,
  maxProfiles: 10_000,
});

/** One problem of a load: the file (relative to the directory), the field path or position, why. */
export interface ProfileLoadError {
  code: ErrorCode;
  file: string;
  /** Field path inside the file (`[1].spec.mode` for the second profile of a list), `line:col` for syntax errors, or ''. */
  path: string;
  message: string;
}

export type ProfileLoadResult = { ok: true; profiles: ResourceProfile[] } | { ok: false; errors: ProfileLoadError[] };

const PROFILE_FILE = /^[^.].*\.(ya?ml|json)$/;
const MAX_YAML_ALIASES = 100;

/** `ProfileLoadError` as one line: `file: path: message`. */
export function formatProfileError(e: ProfileLoadError): string {
  return [e.file, e.path, e.message].filter((part) => part !== '').join(': ');
}

/** A field path as people write it: `spec.containers[0].name`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads a regular file (a symlink to one counts: ConfigMap volumes are made of them), stopping
 * after maxBytes + 1 bytes: enough to know a file is too large without reading it all.
 */
async function readBounded(path: string, maxBytes: number): Promise<{ text: string } | { tooLarge: true } | { notFile: true }> {
  const handle = await open(path, 'r');
  try {
    if (!(await handle.stat()).isFile()) return { notFile: true };
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) return { tooLarge: true };
    }
    return { text: Buffer.concat(chunks, length).toString('utf8') };
  } finally {
    await handle.close();
  }
}

/** The documents of one file, or its syntax errors. */
function parseText(file: string, text: string): { docs: unknown[] } | { errors: ProfileLoadError[] } {
  if (file.endsWith('.json')) {
    try {
      return { docs: [JSON.parse(text) as unknown] };
    } catch (err) {
      return { errors: [{ code: 'MW_PROFILE_INVALID', file, path: '', message: `invalid JSON: ${describeError(err)}` }] };
    }
  }
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  const list = Array.isArray(documents) ? documents : [documents];
  const errors: ProfileLoadError[] = [];
  const docs: unknown[] = [];
  for (const doc of list) {
    for (const e of doc.errors) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      errors.push({ code: 'MW_PROFILE_INVALID', file, path: `${line}:${col}`, message: `invalid YAML: ${e.message}` });
    }
    if (doc.errors.length > 0) continue;
    try {
      docs.push(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
    } catch (err) {
      errors.push({ code: 'MW_PROFILE_INVALID', file, path: '', message: `invalid YAML: ${describeError(err)}` });
    }
  }
  return errors.length > 0 ? { errors } : { docs };
}

function schemaErrors(file: string, prefix: (string | number)[], issues: readonly z.core.$ZodIssue[]): ProfileLoadError[] {
  const out: ProfileLoadError[] = [];
  for (const issue of issues) {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ code: 'MW_PROFILE_INVALID', file, path: formatFieldPath([...at, key]), message: 'unknown field' });
    } else {
      out.push({ code: 'MW_PROFILE_INVALID', file, path: formatFieldPath(at), message: issue.message });
    }
  }
  return out;
}

/** The profiles one file declares (with where each came from), or its problems. */
function profilesOfFile(file: string, text: string): { found: { profile: ResourceProfile; at: string }[]; errors: ProfileLoadError[] } {
  const parsed = parseText(file, text);
  if ('errors' in parsed) return { found: [], errors: parsed.errors };
  const found: { profile: ResourceProfile; at: string }[] = [];
  const errors: ProfileLoadError[] = [];
  if (parsed.docs.length === 0) return { found: [], errors: [{ code: 'MW_PROFILE_INVALID', file, path: '', message: 'holds no profile' }] };
  const multi = parsed.docs.length > 1;
  parsed.docs.forEach((doc, d) => {
    const docPrefix: (string | number)[] = multi ? [`document ${d + 1}`] : [];
    if (doc === null || doc === undefined) {
      errors.push({ code: 'MW_PROFILE_INVALID', file, path: formatFieldPath(docPrefix), message: 'holds no profile' });
      return;
    }
    const items = Array.isArray(doc) ? (doc as unknown[]) : [doc];
    items.forEach((item, i) => {
      const prefix = Array.isArray(doc) ? [...docPrefix, i] : docPrefix;
      const result = ResourceProfileSchema.safeParse(item);
      if (result.success) found.push({ profile: result.data, at: formatFieldPath(prefix) });
      else errors.push(...schemaErrors(file, prefix, result.error.issues));
    });
  });
  return { found, errors };
}

/** Loads every profile file of `dir`: all of them, or all the problems (see the contract above). */
export async function loadProfileDir(dir: string, options: Partial<ProfileLoadOptions> = {}): Promise<ProfileLoadResult> {
  const opts = { ...DEFAULT_PROFILE_LOAD_OPTIONS, ...options };
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && PROFILE_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    return {
      ok: false,
      errors: [{ code: 'MW_PROFILE_UNREADABLE', file: '.', path: '', message: `cannot list the profile directory: ${describeError(err)}` }],
    };
  }
  if (names.length > opts.maxFiles) {
    return {
      ok: false,
      errors: [
        {
          code: 'MW_PROFILE_INVALID',
          file: '.',
          path: '',
          message: `${names.length} profile files, more than the bound of ${opts.maxFiles}`,
        },
      ],
    };
  }

  const errors: ProfileLoadError[] = [];
  const profiles: ResourceProfile[] = [];
  const owner = new Map<string, string>();
  for (const file of names) {
    let read: Awaited<ReturnType<typeof readBounded>>;
    try {
      read = await readBounded(join(dir, file), opts.maxFileBytes);
    } catch (err) {
      errors.push({ code: 'MW_PROFILE_UNREADABLE', file, path: '', message: `cannot read: ${describeError(err)}` });
      continue;
    }
    if ('notFile' in read) {
      errors.push({ code: 'MW_PROFILE_UNREADABLE', file, path: '', message: 'not a regular file' });
      continue;
    }
    if ('tooLarge' in read) {
      errors.push({ code: 'MW_PROFILE_TOO_LARGE', file, path: '', message: `larger than the bound of ${opts.maxFileBytes} bytes` });
      continue;
    }
    const { found, errors: fileErrors } = profilesOfFile(file, read.text);
    errors.push(...fileErrors);
    for (const { profile, at } of found) {
      const key = workloadKey(profile.metadata);
      const where = at === '' ? file : `${file} ${at}`;
      const first = owner.get(key);
      if (first !== undefined) {
        errors.push({
          code: 'MW_PROFILE_INVALID',
          file,
          path: formatFieldPath([at, 'metadata'].filter((p) => p !== '')),
          message: `a second profile for workload ${key} (the first is in ${first})`,
        });
        continue;
      }
      owner.set(key, where);
      profiles.push(profile);
    }
    if (profiles.length > opts.maxProfiles) {
      return {
        ok: false,
        errors: [...errors, { code: 'MW_PROFILE_INVALID', file, path: '', message: `more than the bound of ${opts.maxProfiles} profiles` }],
      };
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, profiles };
}

/**
 * Loads one profile file (any name; `.json` is read as JSON, anything else as YAML): all its
 * profiles or all its problems, named with `path` as given. Same bounds and checks as a
 * directory load, including one profile per workload.
 */
export async function loadProfileFile(path: string, options: Partial<ProfileLoadOptions> = {}): Promise<ProfileLoadResult> {
  const opts = { ...DEFAULT_PROFILE_LOAD_OPTIONS, ...options };
  let read: Awaited<ReturnType<typeof readBounded>>;
  try {
    read = await readBounded(path, opts.maxFileBytes);
  } catch (err) {
    return { ok: false, errors: [{ code: 'MW_PROFILE_UNREADABLE', file: path, path: '', message: `cannot read: ${describeError(err)}` }] };
  }
  if ('notFile' in read)
    return { ok: false, errors: [{ code: 'MW_PROFILE_UNREADABLE', file: path, path: '', message: 'not a regular file' }] };
  if ('tooLarge' in read) {
    return {
      ok: false,
      errors: [{ code: 'MW_PROFILE_TOO_LARGE', file: path, path: '', message: `larger than the bound of ${opts.maxFileBytes} bytes` }],
    };
  }
  const { found, errors } = profilesOfFile(path, read.text);
  const seen = new Map<string, string>();
  for (const { profile, at } of found) {
    const key = workloadKey(profile.metadata);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({
        code: 'MW_PROFILE_INVALID',
        file: path,
        path: formatFieldPath([at, 'metadata'].filter((p) => p !== '')),
        message: `a second profile for workload ${key} (the first is at ${first || 'the top'})`,
      });
    }
    seen.set(key, at);
  }
  if (found.length > opts.maxProfiles) {
    errors.push({ code: 'MW_PROFILE_INVALID', file: path, path: '', message: `more than the bound of ${opts.maxProfiles} profiles` });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, profiles: found.map((f) => f.profile) };
}
