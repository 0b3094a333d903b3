/** sinks.pagerduty: strict, validated, the routing key from config, env or a file, and never shown in an error. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { routingKeyOf } from '../../../src/sinks/pagerduty/index.js';

const KEY = '0123456789abcdef0123456789ABCDEF';

describe('sinks.pagerduty config', () => {
  it('is off by default, with PagerDuty’s endpoint', () => {
    const c = parseConfig({});
    expect(c.sinks.pagerduty).toMatchObject({ enabled: false, url: 'https://events.pagerduty.com/v2/enqueue', timeoutMs: 10_000 });
  });

  it('takes the routing key from MESHWATCH_PAGERDUTY_ROUTING_KEY', () => {
    const c = loadConfig({ env: { MESHWATCH_PAGERDUTY_ENABLED: 'true', MESHWATCH_PAGERDUTY_ROUTING_KEY: KEY } });
    expect(c.sinks.pagerduty.enabled).toBe(true);
    expect(routingKeyOf(c.sinks.pagerduty)).toBe(KEY);
  });

  it.each([
    [{ enabled: true }, 'sinks.pagerduty.routingKey'],
    [{ routingKey: KEY, routingKeyFile: '/k' }, 'sinks.pagerduty.routingKeyFile'],
    [{ routingKey: 'not-a-key-' + KEY.slice(10) }, 'sinks.pagerduty.routingKey'],
    [{ url: 'ftp://x' }, 'sinks.pagerduty.url'],
    [{ timeoutMs: 0 }, 'sinks.pagerduty.timeoutMs'],
    [{ retryInitialMs: 5000, retryMaxMs: 1000 }, 'sinks.pagerduty.retryMaxMs'],
    [{ bogus: 1 }, 'sinks.pagerduty'],
  ])('refuses %j, naming %s', (pagerduty, path) => {
    expect(() => parseConfig({ sinks: { pagerduty } })).toThrow(path);
  });

  it('never echoes a routing key it refuses', () => {
    const bad = 'x'.repeat(31) + '!';
    let message = '';
    try {
      parseConfig({ sinks: { pagerduty: { routingKey: bad } } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('sinks.pagerduty.routingKey');
    expect(message).not.toContain(bad);
  });

  it("role 'sink-pagerduty' needs the sink enabled", () => {
    expect(() => parseConfig({ role: 'sink-pagerduty' })).toThrow('role');
    expect(parseConfig({ role: 'sink-pagerduty', sinks: { pagerduty: { enabled: true, routingKey: KEY } } }).role).toBe('sink-pagerduty');
  });

  it('reads routingKeyFile (trimmed), and fails clearly on a missing file or a file that holds no key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-pd-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, `${KEY}\n`);
      const c = parseConfig({ sinks: { pagerduty: { enabled: true, routingKeyFile: file } } });
      expect(routingKeyOf(c.sinks.pagerduty)).toBe(KEY);
      writeFileSync(file, 'secret-but-wrong');
      expect(() => routingKeyOf(c.sinks.pagerduty)).toThrow(/does not hold a routing key/);
      expect(() => routingKeyOf(c.sinks.pagerduty)).not.toThrow(/secret-but-wrong/);
      const gone = parseConfig({ sinks: { pagerduty: { enabled: true, routingKeyFile: join(dir, 'none') } } });
      expect(() => routingKeyOf(gone.sinks.pagerduty)).toThrow(/cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
