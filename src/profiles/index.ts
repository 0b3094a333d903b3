/** Declared resource profiles from files: the directory loader and the registry of the set in force. */
export {
  DEFAULT_PROFILE_LOAD_OPTIONS,
  formatFieldPath,
  formatProfileError,
  loadProfileDir,
  loadProfileFile,
  type ProfileLoadError,
  type ProfileLoadOptions,
  type ProfileLoadResult,
} from './load.js';
export { ProfileRegistry, type ProfileSet } from './registry.js';
export { watchProfiles, type ProfileWatch, type ProfileWatchOptions, type ProfileWatchResult } from './watch.js';
