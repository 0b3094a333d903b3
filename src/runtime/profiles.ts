/**
 * The declared profiles a detect process enforces: the set in Redis (src/stores/redis/profiles.ts),
 * read at start-up and again whenever its version moves (polled every `profiles.refreshMs`),
 * handed to detection through a ProfileLookup whose set is swapped whole.
 *
 * With `profiles.dir`, this process also watches the directory (src/profiles/watch.ts): each
 * load without problems replaces the directory's set in Redis (and so, within one refresh, in
 * every detect instance); a load with problems changes nothing, and each problem is reported
 * as one line naming the file and field. A directory that cannot be watched fails the start
 * (MW_CONFIG_INVALID naming profiles.dir). Redis unreachable during a refresh keeps the set in
 * force (the connection reports the outage).
 */
import { type Config } from '../config/schema.js';
import { type EnforcedProfile, type ProfileLookup, enforcedProfile } from '../core/profile/enforce.js';
import { MeshwatchError } from '../errors.js';
import { type ProfileLoadError, formatProfileError } from '../profiles/load.js';
import { ProfileRegistry } from '../profiles/registry.js';
import { type ProfileWatch, watchProfiles } from '../profiles/watch.js';
import { type RedisProfileStore, type StoredProfiles } from '../stores/redis/profiles.js';

export class DeclaredProfiles implements ProfileLookup {
  private byKey: ReadonlyMap<string, EnforcedProfile> = new Map();
  private version = -1;

  get(serviceKey: string): EnforcedProfile | undefined {
    return this.byKey.get(serviceKey);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The version of the set in force (-1 before the first read). */
  get loadedVersion(): number {
    return this.version;
  }

  /** Puts a stored set in force, whole. */
  apply(stored: StoredProfiles): void {
    this.byKey = new Map(
      stored.profiles.map(({ profile }) => {
        const e = enforcedProfile(profile);
        return [e.key, e] as const;
      }),
    );
    this.version = stored.version;
  }
}

export interface ProfilesRunning {
  readonly lookup: DeclaredProfiles;
  /** Reads the store now (tests and start-up); resolves once the set in force is current. */
  refresh(): Promise<void>;
  stop(): void;
}

export async function startProfiles(
  store: RedisProfileStore,
  config: Pick<Config, 'profiles'>,
  log: (message: string) => void,
): Promise<ProfilesRunning> {
  const lookup = new DeclaredProfiles();
  const reported = new Set<string>();
  const refresh = async (): Promise<void> => {
    if ((await store.version()) === lookup.loadedVersion) return;
    const stored = await store.load();
    for (const p of stored.problems) {
      if (reported.has(p)) continue;
      reported.add(p);
      log(`MW_PROFILE_INVALID: stored profile left out: ${p}`);
    }
    lookup.apply(stored);
  };

  let watch: ProfileWatch | undefined;
  const dir = config.profiles.dir;
  if (dir !== undefined) {
    const registry = new ProfileRegistry(dir, { maxFileBytes: config.profiles.maxFileBytes });
    const publish = async (errors: readonly ProfileLoadError[]): Promise<void> => {
      if (errors.length > 0) {
        for (const e of errors) log(`${e.code}: ${formatProfileError(e)}`);
        log(`profiles in ${dir} not applied: ${errors.length} problem(s); the profiles in force stay`);
        return;
      }
      await store.replaceDirectory(registry.current().profiles);
      await refresh();
    };
    const started = watchProfiles(registry, {
      debounceMs: config.profiles.reloadDebounceMs,
      onReload: (errors) => void publish(errors).catch((e: unknown) => log(describe(e))),
    });
    if (!started.ok) throw new MeshwatchError('MW_CONFIG_INVALID', `profiles.dir: ${started.error.message}`);
    watch = started.watch;
    await publish(await registry.reload());
  }
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), config.profiles.refreshMs);
  timer.unref();
  return {
    lookup,
    refresh,
    stop: () => {
      clearInterval(timer);
      watch?.close();
    },
  };
}

const describe = (e: unknown): string => (e instanceof MeshwatchError ? `${e.code}: ${e.message}` : String(e));
