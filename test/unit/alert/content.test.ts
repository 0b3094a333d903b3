/**
 * Alert content people can act on: numbers rounded to what they mean, units in the summary,
 * the band inside the metric's domain, the cluster and runbook/dashboard links from the
 * configuration.
 */
import { describe, expect, it, test } from 'vitest';
import { type Episode, buildAlert } from '../../../src/core/alert/build.js';
import { episodeId } from '../../../src/core/alert/id.js';
import { enrichAlert, fillTemplate, unknownPlaceholders } from '../../../src/core/alert/links.js';
import { AlertSchema } from '../../../src/core/alert/schema.js';
import { bandFor, formatRange, formatValue, roundFor, unitOf } from '../../../src/core/alert/units.js';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { alertEnrichmentOf } from '../../../src/config/derive.js';
import { MeshwatchError } from '../../../src/errors.js';

const T0 = Date.UTC(2026, 11, 1);
const SVC = { namespace: 'shop', name: 'checkout' };

const episode = (metric: string, observed: number, expected: Episode['expected'], kind: Episode['kind'] = 'spike'): Episode => ({
  id: episodeId('shop/checkout', kind, metric, T0),
  kind,
  metric,
  startsAt: T0,
  calm: 0,
  severity: 'error',
  score: 0.8123456789,
  observed,
  expected,
});
const fire = (e: Episode, service: { namespace: string; name: string; cluster?: string } = SVC) =>
  AlertSchema.parse(buildAlert('firing', e, { service, windowStart: T0, windowMs: 10_000 }));

describe('roundFor: 4 significant digits, never finer than the unit, never coarser than 1', () => {
  test.each([
    ['error_ratio', 0.011166666666666665, 0.0112],
    ['error_ratio', 0.00004, 0],
    ['cpu_throttled_ratio', 0.123456, 0.1235],
    ['latency_p99_ms', 812.3456, 812.3],
    ['latency_p50_ms', 0.04321, 0],
    ['requests_per_s', 41.33333333, 41.33],
    ['requests_per_s', 12345.678, 12346],
    ['cpu_cores', 1.23456, 1.235],
    ['cpu_cores', 0.0004, 0],
    ['memory_working_set_bytes', 322127436.84, 322127437],
    ['processes', 12345, 12345],
    ['bytes_out_per_s', 1234.5678, 1235],
    ['some_gauge', 0.000123456, 0.0001235],
    ['some_gauge', -3.14159, -3.142],
    ['some_gauge', 0, 0],
  ])('%s %f → %f', (metric, x, want) => {
    expect(roundFor(metric, x)).toBe(want);
  });
});

describe('bandFor: the band inside the metric domain', () => {
  test.each([
    ['error_ratio', { value: 0.01, lower: -0.02, upper: 0.04 }, { value: 0.01, lower: 0, upper: 0.04 }],
    ['memory_limit_ratio', { value: 0.97, lower: 0.9, upper: 1.07 }, { value: 0.97, lower: 0.9, upper: 1 }],
    ['cpu_cores', { value: 0.2, lower: -0.1, upper: 0.5 }, { value: 0.2, lower: 0, upper: 0.5 }],
    ['requests_per_s', { value: -1, lower: -3, upper: 1 }, { value: 0, lower: 0, upper: 1 }],
    ['some_gauge', { value: -1, lower: -3, upper: 1 }, { value: -1, lower: -3, upper: 1 }],
  ])('%s %o → %o', (metric, band, want) => {
    expect(bandFor(metric, band)).toEqual(want);
  });
});

describe('units in text', () => {
  test.each([
    ['error_ratio', 0.0421, '4.21 %'],
    ['latency_p99_ms', 812.34, '812.3 ms'],
    ['requests_per_s', 41.333, '41.33 req/s'],
    ['bytes_out_per_s', 3.5 * 1024 * 1024, '3.5 MiB/s'],
    ['memory_working_set_bytes', 512 * 1024 * 1024, '512 MiB'],
    ['fs_usage_bytes', 900, '900 B'],
    ['cpu_cores', 0.25, '0.25 cores'],
    ['processes', 17, '17'],
    ['some_gauge', 1234567, '1234567'],
  ])('%s %f reads %s', (metric, x, text) => {
    expect(formatValue(metric, x)).toBe(text);
  });

  it('gives a range its unit once, bytes on each end', () => {
    expect(formatRange('error_ratio', 0, 0.0035)).toBe('0..0.35 %');
    expect(formatRange('latency_p99_ms', 80, 120)).toBe('80..120 ms');
    expect(formatRange('bytes_in_per_s', 1024, 2048)).toBe('1 KiB/s..2 KiB/s');
  });

  it('knows the unit of every window metric and none of a replayed gauge', () => {
    expect(unitOf('error_ratio')).toBe('ratio');
    expect(unitOf('latency_p99_ms')).toBe('ms');
    expect(unitOf('toString')).toBeUndefined();
    expect(unitOf('some_gauge')).toBeUndefined();
  });
});

describe('buildAlert presents what a person can act on', () => {
  it('rounds observed, expected and score, clamps a ratio band at 0, and says the units', () => {
    const a = fire(episode('error_ratio', 0.011166666666666665, { value: 0.0012345, lower: -0.0021, upper: 0.0046789 }));
    expect(a.observed).toBe(0.0112);
    expect(a.expected).toEqual({ value: 0.0012, lower: 0, upper: 0.0047 });
    expect(a.score).toBe(0.812);
    expect(a.unit).toBe('ratio');
    expect(a.summary).toBe('shop/checkout error_ratio spiked to 1.12 % (expected 0.12 %, band 0..0.47 %)');
    expect(a.summary).not.toMatch(/\d{6,}/);
  });

  it('never shows a ratio above 1 or a negative rate', () => {
    const hi = fire(episode('memory_limit_ratio', 0.999, { value: 0.95, lower: 0.9, upper: 1.2 }));
    expect(hi.expected!.upper).toBe(1);
    const drop = fire(episode('requests_per_s', 0.2, { value: 3, lower: -1.5, upper: 7.5 }, 'drop'));
    expect(drop.expected!.lower).toBe(0);
    expect(drop.summary).toBe('shop/checkout requests_per_s dropped to 0.2 req/s (expected 3 req/s, band 0..7.5 req/s)');
  });

  it('keeps the cluster the input named', () => {
    const a = fire(episode('cpu_cores', 2, { value: 0.5, lower: 0.3, upper: 0.7 }), { ...SVC, cluster: 'prod-eu' });
    expect(a.service.cluster).toBe('prod-eu');
  });
});

describe('enrichment from the configuration', () => {
  const base = fire(episode('latency_p99_ms', 900, { value: 100, lower: 80, upper: 120 }));

  it('sets the configured cluster only where the input named none', () => {
    expect(enrichAlert(base, { cluster: 'prod-eu', links: [] }).service.cluster).toBe('prod-eu');
    const named = { ...base, service: { ...base.service, cluster: 'us' } };
    expect(enrichAlert(named, { cluster: 'prod-eu', links: [] }).service.cluster).toBe('us');
    expect(enrichAlert(base, { cluster: 'prod-eu', links: [] }).id).toBe(base.id);
  });

  it('fills the most specific runbook and dashboard templates, URL-encoded', () => {
    const rules = [
      { runbook: 'https://runbooks.example/{namespace}/{service}', dashboard: 'https://grafana.example/d/mesh?var-svc={service}' },
      { namespace: 'shop', runbook: 'https://runbooks.example/shop/{metric}' },
      { namespace: 'shop', service: 'checkout', runbook: 'https://runbooks.example/checkout#{kind}' },
      { namespace: 'other', service: 'checkout', runbook: 'https://wrong.example/' },
    ];
    const a = AlertSchema.parse(enrichAlert(base, { links: rules }));
    expect(a.links).toEqual({
      runbook: 'https://runbooks.example/checkout#spike',
      dashboard: 'https://grafana.example/d/mesh?var-svc=checkout',
    });
    const cart = AlertSchema.parse(enrichAlert({ ...base, service: { namespace: 'shop', name: 'cart' } }, { links: rules }));
    expect(cart.links?.runbook).toBe('https://runbooks.example/shop/latency_p99_ms');
    const hostile = { ...base, service: { namespace: 'a b', name: 'x/../y?z=1&w' } };
    expect(fillTemplate('https://r.example/{namespace}/{service}', hostile)).toBe('https://r.example/a%20b/x%2F..%2Fy%3Fz%3D1%26w');
  });

  it('leaves an alert no rule matches as it was', () => {
    expect(enrichAlert(base, { links: [{ namespace: 'other', runbook: 'https://x.example/' }] })).toBe(base);
  });

  it('config: templates are validated (scheme, placeholders) and reach the enrichment', () => {
    expect(unknownPlaceholders('https://x/{service}/{pod}')).toEqual(['pod']);
    const bad = (links: unknown): unknown => {
      try {
        parseConfig({ alerts: { links } });
      } catch (e) {
        return e instanceof MeshwatchError ? e.message : e;
      }
      return 'accepted';
    };
    expect(bad([{ runbook: 'https://x.example/{pod}' }])).toMatch(/alerts\.links\.0\.runbook.*unknown placeholder/);
    expect(bad([{ runbook: 'ftp://x.example/' }])).toMatch(/alerts\.links\.0\.runbook/);
    expect(bad([{ namespace: 'shop' }])).toMatch(/give runbook or dashboard/);
    const c = loadConfig({
      env: { MESHWATCH_ALERTS_CLUSTER: 'prod-eu' },
      overrides: { 'alerts.links': [{ runbook: 'https://r.example/{service}' }] },
    });
    expect(alertEnrichmentOf(c)).toEqual({ cluster: 'prod-eu', links: [{ runbook: 'https://r.example/{service}' }] });
  });
});
