/**
 * Declared profiles from a directory: every good file is read, every bad one is named with its
 * field, and a failed load never replaces (or half-replaces) the set in force.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProfileError, loadProfileDir, type ProfileLoadError } from '../../../src/profiles/load.js';
import { ProfileRegistry } from '../../../src/profiles/registry.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/profiles/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

const temps: string[] = [];
/** A fresh temporary copy of a fixture directory (or an empty one), removed after the test. */
function tempDir(from?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-profiles-'));
  temps.push(dir);
  if (from !== undefined) cpSync(fixture(from), dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function errorsOf(dir: string): Promise<ProfileLoadError[]> {
  const result = await loadProfileDir(dir);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

const PROFILE = (name: string, mode = 'learn'): string =>
  `apiVersion: meshwatch.io/v1\nkind: ResourceProfile\nmetadata: { namespace: shop, name: ${name} }\nspec:\n  mode: ${mode}\n`;

describe('loadProfileDir', () => {
  it('reads every profile of the good directory: one per file, lists, JSON; other files are ignored', async () => {
    const result = await loadProfileDir(fixture('good'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.profiles.map((p) => `${p.metadata.namespace}/${p.metadata.name}:${p.spec.mode}`)).toEqual([
      'shop/catalog:learn',
      'shop/search:learn',
      'shop/checkout:enforce',
      'payments/ledger:enforce',
    ]);
    const checkout = result.profiles.find((p) => p.metadata.name === 'checkout');
    expect(checkout?.metadata.cluster).toBe('prod-eu');
    expect(checkout?.spec.containers?.[0]?.resources.limits?.cpu).toBe('1');
    expect(checkout?.spec.peers?.inbound?.[0]?.principal).toBe('cluster.local/ns/shop/sa/frontend');
  });

  it.each([
    ['wrong-type', 'orders.yaml', 'spec.traffic.requestsPerS', 'MW_PROFILE_INVALID'],
    ['unknown-field', 'orders.yaml', 'spec.containers[0].image', 'MW_PROFILE_INVALID'],
    ['negative-limit', 'orders.yaml', 'spec.containers[0].resources.limits.memory', 'MW_PROFILE_INVALID'],
    ['invalid-yaml', 'orders.yaml', '9:5', 'MW_PROFILE_INVALID'],
    ['duplicate', 'more.yaml', '[1].metadata', 'MW_PROFILE_INVALID'],
  ])('%s: the whole load fails, naming %s at %s', async (dir, file, path, code) => {
    const errors = await errorsOf(fixture(dir));
    expect(errors).toContainEqual(expect.objectContaining({ code, file, path }));
    for (const e of errors) expect(formatProfileError(e).startsWith(`${file}: `)).toBe(true);
  });

  it('says why in words', async () => {
    const [unknown] = await errorsOf(fixture('unknown-field'));
    expect(unknown && formatProfileError(unknown)).toBe('orders.yaml: spec.containers[0].image: unknown field');
    const [dup] = await errorsOf(fixture('duplicate'));
    expect(dup?.message).toBe('a second profile for workload shop/cart (the first is in cart.yaml)');
    expect((await errorsOf(fixture('negative-limit'))).map(formatProfileError)).toEqual([
      'orders.yaml: spec.containers[0].resources.limits.memory: must be a Kubernetes quantity such as 250m, 1.5, 512Mi',
    ]);
    const [yaml] = await errorsOf(fixture('invalid-yaml'));
    expect(yaml?.message).toMatch(/^invalid YAML: /);
  });

  it('rejects a 10 MB file without reading it whole, naming the file', async () => {
    const dir = tempDir('good');
    writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(10 * 1024 * 1024)}\n${PROFILE('huge')}`);
    const errors = await errorsOf(dir);
    expect(errors).toEqual([
      { code: 'MW_PROFILE_TOO_LARGE', file: 'huge.yaml', path: '', message: 'larger than the bound of 1048576 bytes' },
    ]);
  });

  it('accepts a file of exactly the bound and rejects one byte more', async () => {
    const dir = tempDir();
    const text = PROFILE('edge');
    writeFileSync(join(dir, 'edge.yaml'), text);
    expect((await loadProfileDir(dir, { maxFileBytes: Buffer.byteLength(text) })).ok).toBe(true);
    expect(await loadProfileDir(dir, { maxFileBytes: Buffer.byteLength(text) - 1 })).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'MW_PROFILE_TOO_LARGE', file: 'edge.yaml' })],
    });
  });

  it.each([
    ['empty.yaml', '', '', 'holds no profile'],
    ['nulls.yaml', PROFILE('a') + '---\n', 'document 2', 'holds no profile'],
    ['dup-key.yaml', PROFILE('a') + 'kind: ResourceProfile\n', '6:1', 'invalid YAML: Map keys must be unique'],
    ['broken.json', '{"apiVersion": ', '', 'invalid JSON: '],
    ['proto.yaml', PROFILE('a') + '  __proto__: { polluted: true }\n', 'spec.__proto__', 'unknown field'],
    ['scalar.yaml', 'just text\n', '', 'Invalid input'],
    [
      'list.json',
      `[${JSON.stringify({ apiVersion: 'meshwatch.io/v1', kind: 'ResourceProfile', metadata: { namespace: 'shop', name: 'a' }, spec: { mode: 'on' } })}]`,
      '[0].spec.mode',
      '',
    ],
  ])('%s is refused at %j', async (file, text, path, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, file), text);
    const errors = await errorsOf(dir);
    expect(errors[0]).toMatchObject({ code: 'MW_PROFILE_INVALID', file, path });
    expect(errors[0]?.message).toContain(message);
  });

  it('caps YAML aliases (no billion laughs)', async () => {
    const dir = tempDir();
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    writeFileSync(join(dir, 'bomb.yaml'), levels.join('\n') + '\n');
    const errors = await errorsOf(dir);
    expect(errors[0]).toMatchObject({ code: 'MW_PROFILE_INVALID', file: 'bomb.yaml' });
    expect(errors[0]?.message).toMatch(/alias/i);
  });

  it('reads YAML documents separated by ---', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'two.yaml'), `${PROFILE('a')}---\n${PROFILE('b', 'enforce')}`);
    const result = await loadProfileDir(dir);
    expect(result.ok && result.profiles.map((p) => p.metadata.name)).toEqual(['a', 'b']);
  });

  it('reads a ConfigMap volume: files that are symlinks into a ..data directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '..2026_12_06'));
    writeFileSync(join(dir, '..2026_12_06', 'a.yaml'), PROFILE('a'));
    symlinkSync('..2026_12_06', join(dir, '..data'));
    symlinkSync(join('..data', 'a.yaml'), join(dir, 'a.yaml'));
    const result = await loadProfileDir(dir);
    expect(result.ok && result.profiles.map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('refuses a profile name that is not a regular file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    symlinkSync('sub', join(dir, 'sub.yaml'));
    expect(await errorsOf(dir)).toEqual([{ code: 'MW_PROFILE_UNREADABLE', file: 'sub.yaml', path: '', message: 'not a regular file' }]);
  });

  it('an empty directory is an empty set; a missing one is MW_PROFILE_UNREADABLE', async () => {
    expect(await loadProfileDir(tempDir())).toEqual({ ok: true, profiles: [] });
    const errors = await errorsOf(join(tempDir(), 'absent'));
    expect(errors).toEqual([expect.objectContaining({ code: 'MW_PROFILE_UNREADABLE', file: '.' })]);
  });

  it('bounds the number of files and profiles', async () => {
    const dir = tempDir();
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.yaml`), PROFILE(name));
    expect((await loadProfileDir(dir, { maxFiles: 2 })).ok).toBe(false);
    expect((await loadProfileDir(dir, { maxProfiles: 2 })).ok).toBe(false);
    expect((await loadProfileDir(dir, { maxFiles: 3, maxProfiles: 3 })).ok).toBe(true);
  });
});

describe('ProfileRegistry', () => {
  it('starts empty and puts a good load in force', async () => {
    const registry = new ProfileRegistry(tempDir('good'));
    expect(registry.current().profiles).toEqual([]);
    expect(await registry.reload()).toEqual([]);
    expect(registry.current().generation).toBe(1);
    expect(registry.current().profiles).toHaveLength(4);
    expect(registry.get({ cluster: 'prod-eu', namespace: 'shop', name: 'checkout' })?.spec.mode).toBe('enforce');
    expect(registry.get({ namespace: 'shop', name: 'checkout' })).toBeUndefined();
    expect(registry.get({ namespace: 'payments', name: 'ledger' })?.spec.traffic?.requestsPerS).toBe(50);
  });

  it.each([
    ['wrong type', 'spec.traffic.requestsPerS', 'traffic:\n    requestsPerS: fast\n'],
    ['unknown field', 'spec.replicas', 'replicas: 3\n'],
    ['negative limit', 'spec.containers[0].resources.limits.cpu', 'containers:\n    - { name: app, resources: { limits: { cpu: -1 } } }\n'],
  ])('a failed reload (%s) returns the errors and leaves the previous set in force', async (_, path, extra) => {
    const dir = tempDir('good');
    const registry = new ProfileRegistry(dir);
    expect(await registry.reload()).toEqual([]);
    const before = registry.current();

    // One valid change and one invalid file in the same reload: neither may apply.
    writeFileSync(join(dir, 'payments.json'), '[]');
    writeFileSync(join(dir, 'zz-orders.yaml'), PROFILE('orders', 'enforce') + '  ' + extra);
    const errors = await registry.reload();
    expect(errors).toContainEqual(expect.objectContaining({ file: 'zz-orders.yaml', path }));
    expect(registry.current()).toBe(before);
    expect(registry.get({ namespace: 'payments', name: 'ledger' })).toBeDefined();
    expect(registry.get({ namespace: 'shop', name: 'orders' })).toBeUndefined();

    // Fixing the file puts the whole new set in force at once.
    writeFileSync(join(dir, 'zz-orders.yaml'), PROFILE('orders', 'enforce'));
    expect(await registry.reload()).toEqual([]);
    expect(registry.current().generation).toBe(2);
    expect(registry.get({ namespace: 'payments', name: 'ledger' })).toBeUndefined();
    expect(registry.get({ namespace: 'shop', name: 'orders' })?.spec.mode).toBe('enforce');
  });

  it('keeps the previous set when the directory disappears', async () => {
    const dir = tempDir('good');
    const registry = new ProfileRegistry(dir);
    await registry.reload();
    rmSync(dir, { recursive: true, force: true });
    expect(await registry.reload()).toEqual([expect.objectContaining({ code: 'MW_PROFILE_UNREADABLE' })]);
    expect(registry.current().profiles).toHaveLength(4);
  });

  it('runs overlapping reloads in order, so the last one wins', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), PROFILE('a'));
    const registry = new ProfileRegistry(dir);
    const first = registry.reload();
    writeFileSync(join(dir, 'a.yaml'), PROFILE('a', 'enforce'));
    const second = registry.reload();
    expect(await Promise.all([first, second])).toEqual([[], []]);
    expect(registry.current().generation).toBe(2);
    expect(registry.get({ namespace: 'shop', name: 'a' })?.spec.mode).toBe('enforce');
  });

  it('hands out a frozen set', async () => {
    const registry = new ProfileRegistry(fixture('good'));
    await registry.reload();
    const profile = registry.current().profiles[0];
    expect(Object.isFrozen(registry.current().profiles)).toBe(true);
    expect(Object.isFrozen(profile?.spec)).toBe(true);
  });
});
