/**
 * `meshwatch profiles declare FILE...` and `meshwatch profiles remove WORKLOAD...`: the
 * command-line side of the declared profiles in force, kept in Redis for every detect instance
 * (src/stores/redis/profiles.ts; running detect processes pick a change up within
 * `profiles.refreshMs`).
 *
 * declare: every file is checked first (the profile schema, the size bound, one profile per
 * workload across the files); with any problem, each is printed as `file: field: why` and
 * nothing is declared (exit 2). Otherwise all the files' profiles are declared in one
 * transaction, replacing earlier command-line declarations of the same workloads.
 * remove: by workload key (`[cluster:]namespace/name`); a profile from the profile directory is
 * not removed here (its file is the source: exit 1 naming it), nor is an unknown one.
 */
import { type Config } from '../config/schema.js';
import { parseServiceKey, serviceKey } from '../core/model.js';
import { type ResourceProfile, workloadKey } from '../core/profile/schema.js';
import { MeshwatchError } from '../errors.js';
import { formatProfileError, loadProfileFile, type ProfileLoadError } from '../profiles/load.js';
import { RedisConnection } from '../stores/redis/connection.js';
import { RedisProfileStore } from '../stores/redis/profiles.js';
import { redisStoreOptionsOf } from '../stores/redis/store.js';

export interface ProfilesOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const STD: ProfilesOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

async function withStore<T>(config: Readonly<Config>, run: (store: RedisProfileStore) => Promise<T>): Promise<T> {
  const connection = new RedisConnection(redisStoreOptionsOf(config));
  await connection.connect();
  try {
    return await run(new RedisProfileStore(connection, config.redis.keyPrefix));
  } finally {
    await connection.close();
  }
}

export async function profilesDeclareCommand(
  config: Readonly<Config>,
  files: readonly string[],
  io: ProfilesOutput = STD,
): Promise<number> {
  if (files.length === 0) throw new MeshwatchError('MW_USAGE', 'profiles declare: give one or more profile files');
  const errors: ProfileLoadError[] = [];
  const profiles: ResourceProfile[] = [];
  const owner = new Map<string, string>();
  for (const file of files) {
    const result = await loadProfileFile(file, { maxFileBytes: config.profiles.maxFileBytes });
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    for (const p of result.profiles) {
      const key = workloadKey(p.metadata);
      const first = owner.get(key);
      if (first !== undefined) {
        errors.push({
          code: 'MW_PROFILE_INVALID',
          file,
          path: 'metadata',
          message: `a second profile for workload ${key} (the first is in ${first})`,
        });
        continue;
      }
      owner.set(key, file);
      profiles.push(p);
    }
  }
  if (errors.length > 0) {
    for (const e of errors) io.err(`meshwatch: ${e.code}: ${formatProfileError(e)}`);
    throw new MeshwatchError('MW_PROFILE_INVALID', `${errors.length} problem(s); nothing declared, the profiles in force stay`);
  }
  const version = await withStore(config, (store) => store.declare(profiles));
  for (const p of profiles) io.out(`declared ${workloadKey(p.metadata)} (${p.spec.mode})`);
  io.out(`profiles version ${version}`);
  return 0;
}

export async function profilesRemoveCommand(
  config: Readonly<Config>,
  workloads: readonly string[],
  io: ProfilesOutput = STD,
): Promise<number> {
  if (workloads.length === 0)
    throw new MeshwatchError('MW_USAGE', 'profiles remove: give one or more workloads ([cluster:]namespace/name)');
  const keys = workloads.map((w) => serviceKey(parseServiceKey(w)));
  const { removed, inDirectory, version } = await withStore(config, (store) => store.remove(keys));
  for (const k of removed) io.out(`removed ${k}`);
  let failed = 0;
  for (const k of keys) {
    if (removed.includes(k)) continue;
    failed++;
    io.err(
      inDirectory.includes(k)
        ? `meshwatch: ${k} is declared by the profile directory: remove its file there`
        : `meshwatch: ${k} has no profile declared on the command line`,
    );
  }
  io.out(`profiles version ${version}`);
  return failed > 0 ? 1 : 0;
}
