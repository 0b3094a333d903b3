/** Retry-After parsing, URL templates, PagerDuty routing rules and links, and their configuration. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { retryAfterMs } from '../../../src/sinks/http/post.js';
import { eventOf, observedVsExpected, routerOf } from '../../../src/sinks/pagerduty/index.js';
import { type CustomDetails } from '../../../src/sinks/pagerduty/events.js';
import { renderUrl } from '../../../src/sinks/template.js';
import { alertOf } from '../../contract/alert-sink.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const K = (c: string): string => c.repeat(32);

describe('retryAfterMs', () => {
  it.each([
    [null, undefined],
    ['120', 120_000],
    [' 0 ', 0],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    [new Date(NOW - 30_000).toUTCString(), 0],
    ['soon', undefined],
    ['-5', undefined],
    ['99999999', 86_400_000],
  ])('%s → %s', (h, ms) => expect(retryAfterMs(h, NOW)).toBe(ms));
});

describe('renderUrl', () => {
  it('fills the alert fields percent-encoded and leaves unknown placeholders', () => {
    const a: Alert = { ...alertOf('a/b?c', 'firing', 0), service: { namespace: 'shop', name: 'a/b?c', cluster: 'eu 1' } };
    expect(renderUrl('https://x/{cluster}/{namespace}/{service}/{metric}/{kind}/{id}/{other}', a)).toBe(
      `https://x/eu%201/shop/a%2Fb%3Fc/cpu_cores/spike/${a.id}/{other}`,
    );
  });
});

describe('PagerDuty routing rules', () => {
  const pd = (routes: unknown[], extra: Record<string, unknown> = {}) =>
    parseConfig({ sinks: { pagerduty: { enabled: true, routes, ...extra } } }).sinks.pagerduty;
  const alert = (ns: string, name: string, severity: Alert['severity']): Alert => ({
    ...alertOf(name, 'firing', 0),
    service: { namespace: ns, name },
    severity,
  });

  it('first match wins; every given field must match; the default key takes the rest', () => {
    const r = routerOf(
      pd(
        [
          { namespace: 'pay', severity: ['critical'], routingKey: K('a') },
          { namespace: 'pay', routingKey: K('b') },
          { service: 'checkout', routingKey: K('c') },
        ],
        { routingKey: K('d') },
      ),
    );
    expect(r.keyFor(alert('pay', 'x', 'critical'))).toBe(K('a'));
    expect(r.keyFor(alert('pay', 'x', 'warning'))).toBe(K('b'));
    expect(r.keyFor(alert('shop', 'checkout', 'info'))).toBe(K('c'));
    expect(r.keyFor(alert('shop', 'cart', 'info'))).toBe(K('d'));
    expect([...r.secrets].sort()).toEqual([K('a'), K('b'), K('c'), K('d')]);
  });

  it('without a default key an unmatched alert has none; a rule may read its key from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-pd-'));
    writeFileSync(join(dir, 'key'), `${K('f')}\n`);
    const r = routerOf(pd([{ namespace: 'pay', routingKeyFile: join(dir, 'key') }]));
    expect(r.keyFor(alert('pay', 'x', 'error'))).toBe(K('f'));
    expect(r.keyFor(alert('shop', 'x', 'error'))).toBeUndefined();
  });

  it('routingKeyEnv is read from the environment by the loader; a missing variable names the field, never a key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mw-pd-')), 'c.json');
    writeFileSync(
      file,
      JSON.stringify({ sinks: { pagerduty: { enabled: true, routes: [{ namespace: 'pay', routingKeyEnv: 'PD_PAY' }] } } }),
    );
    const c = loadConfig({ file, env: { PD_PAY: K('e') } });
    expect(c.sinks.pagerduty.routes[0]!.routingKey).toBe(K('e'));
    expect(() => loadConfig({ file, env: {} })).toThrow('sinks.pagerduty.routes.0.routingKeyEnv: PD_PAY is not set');
    let message = '';
    try {
      loadConfig({ file, env: { PD_PAY: 'not-a-key-secret-value' } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('sinks.pagerduty.routes.0.routingKey');
    expect(message).not.toContain('not-a-key-secret-value');
  });

  it('a rule gives exactly one key source', () => {
    expect(() => pd([{ namespace: 'pay' }])).toThrow('give one of routingKey, routingKeyFile, routingKeyEnv');
  });
});

describe('PagerDuty event content', () => {
  it('custom_details say observed vs expected; links rendered per alert appear in links[] and custom_details', () => {
    const a = alertOf('checkout', 'firing', 0);
    expect(observedVsExpected(a)).toBe('observed 6 vs expected 1 (band 0.8..1.2)');
    expect(observedVsExpected({ ...a, expected: null })).toBe('observed 6 (no band)');
    const links = [{ href: 'https://dash.example/shop/checkout', text: 'dashboard' }];
    const e = eventOf(a, K('a'), links);
    expect(e.links).toEqual(links);
    expect((e.payload.custom_details as CustomDetails).links).toEqual(links);
    expect((e.payload.custom_details as CustomDetails).observed_vs_expected).toBe('observed 6 vs expected 1 (band 0.8..1.2)');
    expect(eventOf(a, K('a'))).not.toHaveProperty('links');
  });
});

describe('sink configuration', () => {
  it.each([
    [{ role: 'sink-alertmanager' }, "role 'sink-alertmanager' needs sinks.alertmanager.enabled"],
    [{ role: 'sink-webhook' }, "role 'sink-webhook' needs sinks.webhook.enabled"],
    [{ sinks: { webhook: { enabled: true } } }, 'sinks.webhook.url: an enabled webhook sink needs url'],
    [{ sinks: { webhook: { enabled: true, url: 'http://h/x', secret: 'short' } } }, 'sinks.webhook.secret: at least 16 characters'],
    [{ sinks: { alertmanager: { urls: [] } } }, 'sinks.alertmanager.urls'],
    [{ sinks: { alertmanager: { urls: ['ftp://x'] } } }, 'sinks.alertmanager.urls.0: an http:// or https:// URL'],
  ])('%j fails naming the field', (raw, message) => expect(() => parseConfig(raw)).toThrow(message));
});
