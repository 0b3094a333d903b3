/**
 * The declared profiles in force, kept in Redis so that every detect instance enforces the same
 * set (keys: ./keys.ts `profiles`). Two sources write it: the profile directory (a whole set,
 * replaced at once on every successful reload) and `meshwatch profiles declare|remove` (one
 * profile at a time). The set in force is the union; a workload in both is the directory's
 * (the reviewed source wins). Every change is one MULTI that also increments the version, so
 * a reader polls one integer and reloads only when it moved.
 *
 * Stored records are read as untrusted: each is parsed and checked against the profile schema;
 * one that fails is left out and reported (with its workload key), the others are used.
 * Errors: MW_STORE_UNAVAILABLE when Redis does not answer (RedisConnection's contract).
 */
import { type ChainableCommander } from 'ioredis';
import { type RedisClient } from './client.js';
import { ResourceProfileSchema, type ResourceProfile, workloadKey } from '../../core/profile/schema.js';
import { MeshwatchError } from '../../errors.js';
import { type RedisConnection } from './connection.js';
import { type Keys, keysFor } from './keys.js';

export type ProfileOrigin = 'dir' | 'cli';

export interface StoredProfiles {
  version: number;
  /** The set in force (directory over command line), with where each came from. */
  profiles: { profile: ResourceProfile; origin: ProfileOrigin }[];
  /** Records that could not be read: `<origin> <workload key>: why`. */
  problems: string[];
}

type Multi = ChainableCommander;

export class RedisProfileStore {
  private readonly keys: Keys;
  private readonly redis: RedisClient;

  constructor(
    private readonly connection: RedisConnection,
    keyPrefix: string,
  ) {
    this.redis = connection.redis;
    this.keys = keysFor(keyPrefix);
  }

  /** The version of the set in force (0 before any change). */
  async version(): Promise<number> {
    const v = await this.connection.roundTrip('get profiles version', () => this.redis.get(this.keys.profiles('version')));
    return Number(v ?? 0);
  }

  /** Replaces the directory's whole set (an empty list removes it); returns the new version. */
  replaceDirectory(profiles: readonly ResourceProfile[]): Promise<number> {
    return this.change('replace directory profiles', (m) => {
      m.del(this.keys.profiles('dir'));
      if (profiles.length > 0) m.hset(this.keys.profiles('dir'), fieldsOf(profiles));
    });
  }

  /** Declares profiles from the command line (replacing earlier declarations of the same workloads). */
  declare(profiles: readonly ResourceProfile[]): Promise<number> {
    return this.change('declare profiles', (m) => {
      if (profiles.length > 0) m.hset(this.keys.profiles('cli'), fieldsOf(profiles));
    });
  }

  /**
   * Removes command-line declarations by workload key. Returns which were removed, and which of
   * the keys the directory declares (those stay: the file must go).
   */
  async remove(workloadKeys: readonly string[]): Promise<{ removed: string[]; inDirectory: string[]; version: number }> {
    const [cli, dir] = await this.connection.roundTrip('read profile keys', () =>
      Promise.all([this.redis.hkeys(this.keys.profiles('cli')), this.redis.hkeys(this.keys.profiles('dir'))]),
    );
    const removed = workloadKeys.filter((k) => cli.includes(k));
    const inDirectory = workloadKeys.filter((k) => dir.includes(k));
    const version = await this.change('remove profiles', (m) => {
      if (removed.length > 0) m.hdel(this.keys.profiles('cli'), ...removed);
    });
    return { removed, inDirectory, version };
  }

  /** The set in force and its version, read in one transaction. */
  async load(): Promise<StoredProfiles> {
    const replies = await this.connection.roundTrip('load profiles', () =>
      this.connection
        .multi()
        .get(this.keys.profiles('version'))
        .hgetall(this.keys.profiles('dir'))
        .hgetall(this.keys.profiles('cli'))
        .exec(),
    );
    const [version, dir, cli] = (replies ?? []).map(([err, v]) => {
      if (err)
        throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.connection.address}: load profiles failed`, { cause: err });
      return v;
    }) as [string | null, Record<string, string>, Record<string, string>];
    const problems: string[] = [];
    const byKey = new Map<string, { profile: ResourceProfile; origin: ProfileOrigin }>();
    for (const [origin, fields] of [
      ['cli', cli],
      ['dir', dir],
    ] as const) {
      for (const [key, text] of Object.entries(fields ?? {})) {
        const profile = readRecord(key, text);
        if (typeof profile === 'string') problems.push(`${origin} ${key}: ${profile}`);
        else byKey.set(key, { profile, origin });
      }
    }
    return { version: Number(version ?? 0), profiles: [...byKey.values()], problems };
  }

  /** Removes every profile key of this prefix (tests). */
  async clear(): Promise<void> {
    await this.connection.roundTrip('clear profiles', () =>
      this.redis.del(this.keys.profiles('dir'), this.keys.profiles('cli'), this.keys.profiles('version')),
    );
  }

  private async change(what: string, build: (m: Multi) => void): Promise<number> {
    const m = this.connection.multi();
    build(m);
    m.incr(this.keys.profiles('version'));
    const replies = await this.connection.roundTrip(what, () => m.exec());
    const last = replies?.[replies.length - 1];
    if (!last || last[0]) {
      throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.connection.address}: ${what} failed`, { cause: last?.[0] });
    }
    return Number(last[1]);
  }
}

const fieldsOf = (profiles: readonly ResourceProfile[]): Record<string, string> =>
  Object.fromEntries(profiles.map((p) => [workloadKey(p.metadata), JSON.stringify(p)]));

function readRecord(key: string, text: string): ResourceProfile | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const parsed = ResourceProfileSchema.safeParse(value);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a profile';
  if (workloadKey(parsed.data.metadata) !== key) return 'stored under another workload key';
  return parsed.data;
}
