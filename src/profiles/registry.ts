/**
 * ProfileRegistry: the set of declared profiles in force, replaced only whole.
 *
 * `reload()` reads the directory again (loadProfileDir) and returns its problems: with none, the
 * new set replaces the old one at once; with any, the set in force stays exactly as it was (a
 * load is never half-applied). Reloads run one after another, so a slow earlier reload can
 * never overwrite a later one. Before the first successful reload the set is empty.
 * The set handed out is frozen: callers read it, they do not change it.
 */
import { type ResourceProfile, type WorkloadRef, workloadKey } from '../core/profile/schema.js';
import { loadProfileDir, type ProfileLoadError, type ProfileLoadOptions } from './load.js';

export interface ProfileSet {
  readonly profiles: readonly ResourceProfile[];
  /** Profiles by workloadKey (the service key, `[cluster:]namespace/name`). */
  readonly byWorkload: ReadonlyMap<string, ResourceProfile>;
  /** How many successful reloads produced this set (0: none yet). */
  readonly generation: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const EMPTY: ProfileSet = Object.freeze({ profiles: Object.freeze([]), byWorkload: new Map(), generation: 0 });

export class ProfileRegistry {
  private set: ProfileSet = EMPTY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** The directory the profiles are read from. */
    readonly dir: string,
    private readonly options: Partial<ProfileLoadOptions> = {},
  ) {}

  /** The set in force. */
  current(): ProfileSet {
    return this.set;
  }

  /** The profile in force for a workload (cluster must match: absent matches absent). */
  get(workload: WorkloadRef): ResourceProfile | undefined {
    return this.set.byWorkload.get(workloadKey(workload));
  }

  /** Loads the directory again; [] when the new set is in force, else its problems (old set kept). */
  reload(): Promise<ProfileLoadError[]> {
    const next = this.queue.then(() => this.loadNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async loadNow(): Promise<ProfileLoadError[]> {
    const result = await loadProfileDir(this.dir, this.options);
    if (!result.ok) return result.errors;
    const profiles = deepFreeze(result.profiles);
    const byWorkload = new Map(profiles.map((p) => [workloadKey(p.metadata), p] as const));
    this.set = Object.freeze({ profiles, byWorkload, generation: this.set.generation + 1 });
    return [];
  }
}
