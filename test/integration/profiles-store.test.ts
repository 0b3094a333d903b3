/**
 * The declared profiles in force, kept in the real Redis: declared on the command line or
 * published from a watched directory; a bad file (wrong type, unknown field, negative limit,
 * invalid YAML, 10 MB) is refused naming its file and field, nothing of it is applied, and the
 * profiles in force stay in force — in Redis and in a running process's set.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { profilesDeclareCommand, profilesRemoveCommand } from '../../src/cli/profiles-declare.js';
import { type Config } from '../../src/config/schema.js';
import { MeshwatchError } from '../../src/errors.js';
import { type ProfilesRunning, startProfiles } from '../../src/runtime/profiles.js';
import { RedisConnection } from '../../src/stores/redis/connection.js';
import { RedisProfileStore } from '../../src/stores/redis/profiles.js';
import { sleep, testConfig, uniqueId } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/profiles/', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function setup(overrides: Record<string, unknown> = {}): Promise<{ config: Readonly<Config>; store: RedisProfileStore }> {
  const config = testConfig(uniqueId('profstore'), overrides);
  const connection = new RedisConnection({ url: config.redis.url });
  await connection.connect();
  const store = new RedisProfileStore(connection, config.redis.keyPrefix);
  cleanups.push(async () => {
    await store.clear();
    await connection.close();
  });
  return { config, store };
}

function tempDir(from?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-profiles-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  if (from !== undefined) cpSync(join(FIXTURES, from), dir, { recursive: true });
  return dir;
}

const names = async (store: RedisProfileStore): Promise<string[]> =>
  (await store.load()).profiles.map((p) => `${p.origin}:${p.profile.metadata.namespace}/${p.profile.metadata.name}`).sort();

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

const HUGE = (dir: string): string => {
  const file = join(dir, 'huge.yaml');
  writeFileSync(
    file,
    `# ${'x'.repeat(10 * 1024 * 1024)}\napiVersion: meshwatch.io/v1\nkind: ResourceProfile\nmetadata: { namespace: shop, name: huge }\nspec: { mode: learn }\n`,
  );
  return file;
};

const BAD: [string, (dir: string) => string, string, string][] = [
  ['wrong types', (d) => join(d, 'orders.yaml'), 'wrong-type', 'spec.traffic.requestsPerS'],
  ['unknown fields', (d) => join(d, 'orders.yaml'), 'unknown-field', 'spec.containers[0].image: unknown field'],
  ['negative limits', (d) => join(d, 'orders.yaml'), 'negative-limit', 'spec.containers[0].resources.limits.memory'],
  ['invalid YAML', (d) => join(d, 'orders.yaml'), 'invalid-yaml', '9:5: invalid YAML'],
  ['a 10 MB file', HUGE, 'good', 'larger than the bound of 1048576 bytes'],
];

describe('profiles declare|remove against Redis', { timeout: 60_000 }, () => {
  it('declares every profile of the files, removes by workload', async () => {
    const { config, store } = await setup();
    const a = io();
    expect(
      await profilesDeclareCommand(config, [join(FIXTURES, 'good', 'checkout.yaml'), join(FIXTURES, 'good', 'catalog.yml')], a.io),
    ).toBe(0);
    expect(a.out).toEqual([
      'declared prod-eu:shop/checkout (enforce)',
      'declared shop/catalog (learn)',
      'declared shop/search (learn)',
      'profiles version 1',
    ]);
    expect(await names(store)).toEqual(['cli:shop/catalog', 'cli:shop/checkout', 'cli:shop/search']);
    const b = io();
    expect(await profilesRemoveCommand(config, ['shop/search', 'shop/nothing'], b.io)).toBe(1);
    expect(b.out).toEqual(['removed shop/search', 'profiles version 2']);
    expect(b.err).toEqual(['meshwatch: shop/nothing has no profile declared on the command line']);
    expect(await names(store)).toEqual(['cli:shop/catalog', 'cli:shop/checkout']);
  });

  it.each(BAD)('%s: refused naming the file and field; nothing declared, the profiles in force stay', async (_, bad, fixture, expected) => {
    const { config, store } = await setup();
    await profilesDeclareCommand(config, [join(FIXTURES, 'good', 'catalog.yml')], io().io);
    const before = await store.load();
    const dir = tempDir(fixture);
    const file = bad(dir);
    const c = io();
    const failure = await profilesDeclareCommand(config, [join(FIXTURES, 'good', 'checkout.yaml'), file], c.io).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MeshwatchError);
    expect((failure as MeshwatchError).code).toBe('MW_PROFILE_INVALID');
    expect(c.err.some((l) => l.startsWith(`meshwatch: MW_PROFILE_`) && l.includes(`${file}: `) && l.includes(expected))).toBe(true);
    expect(c.out).toEqual([]);
    const after = await store.load();
    expect(after.version).toBe(before.version);
    expect(after.profiles).toEqual(before.profiles);
  });

  it('a stored record that is not a profile is left out and named; the others are used', async () => {
    const { config, store } = await setup();
    await profilesDeclareCommand(config, [join(FIXTURES, 'good', 'catalog.yml')], io().io);
    const raw = new RedisConnection({ url: config.redis.url });
    await raw.connect();
    await raw.redis.hset(`${config.redis.keyPrefix}:{profiles}:cli`, 'shop/evil', '{"apiVersion":"meshwatch.io/v1","kind":"x"}');
    await raw.close();
    const loaded = await store.load();
    expect(loaded.profiles.map((p) => p.profile.metadata.name).sort()).toEqual(['catalog', 'search']);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatch(/^cli shop\/evil: /);
  });
});

describe('a watched profile directory published through Redis', { timeout: 60_000 }, () => {
  async function watching(dir: string): Promise<{ running: ProfilesRunning; store: RedisProfileStore; log: string[] }> {
    const { config, store } = await setup({ profiles: { dir, reloadDebounceMs: 50, refreshMs: 100 } });
    const log: string[] = [];
    const running = await startProfiles(store, config, (m) => log.push(m));
    cleanups.push(() => running.stop());
    return { running, store, log };
  }
  const until = async (what: () => boolean): Promise<void> => {
    for (let t = 0; t < 100 && !what(); t++) await sleep(50);
  };

  it.each(BAD)('%s added to the directory: reported with file and field, the set in force stays', async (_, bad, fixture, expected) => {
    const dir = tempDir('good');
    const { running, store, log } = await watching(dir);
    expect(await names(store)).toEqual(['dir:payments/ledger', 'dir:shop/catalog', 'dir:shop/checkout', 'dir:shop/search']);
    expect(running.lookup.size).toBe(4);
    const version = (await store.load()).version;
    // the bad file joins the directory (copied from its fixture, or written)
    const from = tempDir(fixture);
    const src = bad(from);
    const target = join(dir, src.slice(from.length + 1));
    cpSync(src, target);
    await until(() => log.some((l) => l.includes('not applied')));
    expect(log.some((l) => l.startsWith('MW_PROFILE_') && l.includes(`${src.slice(from.length + 1)}: `) && l.includes(expected))).toBe(
      true,
    );
    expect((await store.load()).version).toBe(version);
    expect(running.lookup.size).toBe(4);
    expect(running.lookup.get('prod-eu:shop/checkout')?.mode).toBe('enforce');
    // fixed: the directory's new set replaces the old one everywhere
    rmSync(target);
    writeFileSync(
      join(dir, 'orders.yaml'),
      'apiVersion: meshwatch.io/v1\nkind: ResourceProfile\nmetadata: { namespace: shop, name: orders }\nspec: { mode: enforce }\n',
    );
    await until(() => running.lookup.get('shop/orders') !== undefined);
    expect(running.lookup.size).toBe(5);
    expect(await names(store)).toContain('dir:shop/orders');
  });

  it('the directory wins over the command line for one workload, and its profiles cannot be removed there', async () => {
    const dir = tempDir('good');
    const { running, store } = await watching(dir);
    await store.declare([
      {
        apiVersion: 'meshwatch.io/v1',
        kind: 'ResourceProfile',
        metadata: { namespace: 'shop', name: 'catalog' },
        spec: { mode: 'enforce' },
      },
    ]);
    await running.refresh();
    expect(running.lookup.get('shop/catalog')?.mode).toBe('learn');
    const removed = await store.remove(['payments/ledger']);
    expect(removed).toMatchObject({ removed: [], inDirectory: ['payments/ledger'] });
  });
});
