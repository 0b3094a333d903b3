/** Watching the profile directory: a change reloads the registry once the writes settle; bad files keep the old set. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProfileLoadError } from '../../../src/profiles/load.js';
import { ProfileRegistry } from '../../../src/profiles/registry.js';
import { watchProfiles, type ProfileWatch } from '../../../src/profiles/watch.js';

const GOOD = fileURLToPath(new URL('../../fixtures/profiles/good/', import.meta.url));
const PROFILE = (name: string, mode = 'learn'): string =>
  `apiVersion: meshwatch.io/v1\nkind: ResourceProfile\nmetadata: { namespace: shop, name: ${name} }\nspec:\n  mode: ${mode}\n`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Setup {
  dir: string;
  registry: ProfileRegistry;
  watch: ProfileWatch;
  next: () => Promise<ProfileLoadError[]>;
  reloads: () => number;
}

function setup(): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'mw-profiles-watch-'));
  cpSync(GOOD, dir, { recursive: true });
  const registry = new ProfileRegistry(dir);
  const waiting: ((errors: ProfileLoadError[]) => void)[] = [];
  let count = 0;
  const started = watchProfiles(registry, {
    debounceMs: 100,
    onReload: (errors) => {
      count++;
      waiting.shift()?.(errors);
    },
  });
  if (!started.ok) throw new Error(started.error.message);
  const watch: ProfileWatch = started.watch;
  cleanups.push(() => {
    watch.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, registry, watch, next: () => new Promise((resolve) => waiting.push(resolve)), reloads: () => count };
}

describe('watchProfiles', () => {
  it('reloads after a burst of writes and puts the new set in force', async () => {
    const { dir, registry, next } = setup();
    await registry.reload();
    const reloaded = next();
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.yaml`), PROFILE(name));
    expect(await reloaded).toEqual([]);
    // The burst may straddle the debounce on a loaded machine; wait until all three are in.
    while (registry.get({ namespace: 'shop', name: 'c' }) === undefined) expect(await next()).toEqual([]);
    expect(registry.current().profiles).toHaveLength(7);
  });

  it('reports a bad file and keeps the set in force', async () => {
    const { dir, registry, next } = setup();
    await registry.reload();
    const before = registry.current();
    const reloaded = next();
    writeFileSync(join(dir, 'orders.yaml'), PROFILE('orders', 'audit'));
    expect(await reloaded).toContainEqual(expect.objectContaining({ code: 'MW_PROFILE_INVALID', file: 'orders.yaml', path: 'spec.mode' }));
    expect(registry.current()).toBe(before);
  });

  it('does not reload after close', async () => {
    const { dir, registry, watch, reloads } = setup();
    watch.close();
    writeFileSync(join(dir, 'x.yaml'), PROFILE('x'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reloads()).toBe(0);
    expect(registry.current().generation).toBe(0);
  });

  it('fails as a value for a missing directory', () => {
    const result = watchProfiles(new ProfileRegistry(join(tmpdir(), 'mw-profiles-absent-0')), {
      debounceMs: 10,
      onReload: () => undefined,
    });
    expect(result).toEqual({ ok: false, error: expect.objectContaining({ code: 'MW_PROFILE_UNREADABLE', file: '.' }) });
  });
});
