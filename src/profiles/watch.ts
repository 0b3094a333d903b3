/**
 * Reloads a ProfileRegistry when files in its directory change (fs.watch, not recursive).
 *
 * Events are debounced: a reload starts `debounceMs` after the last change seen, so an editor's
 * burst of writes (or a `kubectl cp` of many files) costs one reload, not one per event. Each
 * reload's problems go to `onReload` ([] when the new set is in force; the registry keeps the
 * old set otherwise). A watcher that fails (the directory is removed) reports one
 * MW_PROFILE_UNREADABLE problem and stops; the set in force stays. A directory that cannot be
 * watched at all (missing) is a failed result, not an exception. `close()` stops watching and
 * cancels a pending reload; it does not wait for one already running.
 */
import { watch, type FSWatcher } from 'node:fs';
import { type ProfileLoadError } from './load.js';
import { type ProfileRegistry } from './registry.js';

export interface ProfileWatchOptions {
  debounceMs: number;
  onReload: (errors: ProfileLoadError[]) => void;
}

export interface ProfileWatch {
  close(): void;
}

export type ProfileWatchResult = { ok: true; watch: ProfileWatch } | { ok: false; error: ProfileLoadError };

const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts watching; fails (as a value) when the directory cannot be watched, e.g. it does not exist. */
export function watchProfiles(registry: ProfileRegistry, options: ProfileWatchOptions): ProfileWatchResult {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let watcher: FSWatcher | undefined = undefined;

  const close = (): void => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    watcher?.close();
  };

  const fire = (): void => {
    timer = undefined;
    void registry.reload().then((errors) => {
      if (!closed) options.onReload(errors);
    });
  };

  try {
    watcher = watch(registry.dir, { persistent: false }, () => {
      if (closed) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, options.debounceMs);
    });
  } catch (err) {
    const message = `cannot watch the profile directory: ${describeError(err)}`;
    return { ok: false, error: { code: 'MW_PROFILE_UNREADABLE', file: '.', path: '', message } };
  }
  watcher.on('error', (err: unknown) => {
    if (closed) return;
    close();
    const message = `stopped watching the profile directory: ${describeError(err)}`;
    options.onReload([{ code: 'MW_PROFILE_UNREADABLE', file: '.', path: '', message }]);
  });

  return { ok: true, watch: { close } };
}
