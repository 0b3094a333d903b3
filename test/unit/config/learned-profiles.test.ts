/** learnedProfiles.* config: defaults, reaching the learner, bad values named by field. */
import { describe, expect, test } from 'vitest';
import { engineParamsOf } from '../../../src/config/derive.js';
import { parseConfig } from '../../../src/config/load.js';
import { DEFAULT_PROFILE_LEARN } from '../../../src/core/profile/learn.js';

describe('learnedProfiles', () => {
  test('defaults are the learner defaults', () => {
    expect(engineParamsOf(parseConfig({})).profile).toEqual(DEFAULT_PROFILE_LEARN);
  });

  test('set values reach the learner', () => {
    const p = engineParamsOf(parseConfig({ learnedProfiles: { maxContainers: 4, maxInstancesPerContainer: 8, maxPeers: 32 } })).profile;
    expect(p).toMatchObject({ maxContainers: 4, maxInstances: 8, maxPeers: 32 });
  });

  test.each([
    [{ maxPeers: 0 }, 'learnedProfiles.maxPeers'],
    [{ maxContainers: 65 }, 'learnedProfiles.maxContainers'],
    [{ maxInstancesPerContainer: 'many' }, 'learnedProfiles.maxInstancesPerContainer'],
    [{ bogus: 1 }, 'learnedProfiles'],
  ])('%j is refused naming %s', (value, field) => {
    expect(() => parseConfig({ learnedProfiles: value })).toThrow(field);
  });
});
