/** Alert → PagerDuty event mapping: actions, limits, and that the event says all the alert says. */
import { describe, expect, it } from 'vitest';
import { AlertSchema } from '../../../src/core/alert/schema.js';
import { alertOfEvent, eventOf, truncateChars } from '../../../src/sinks/pagerduty/index.js';
import { alertOf } from '../../contract/alert-sink.js';

const KEY = 'a'.repeat(32);

describe('PagerDuty event mapping', () => {
  it('maps firing to trigger and resolved to resolve, keyed by the alert id', () => {
    const f = alertOf('checkout', 'firing', 0);
    const r = alertOf('checkout', 'resolved', 0);
    expect(eventOf(f, KEY)).toMatchObject({ routing_key: KEY, event_action: 'trigger', dedup_key: f.id });
    expect(eventOf(r, KEY)).toMatchObject({ event_action: 'resolve', dedup_key: f.id });
  });

  it('names the service: source the service key, component its name, group its namespace, class kind/metric', () => {
    const a = AlertSchema.parse({ ...alertOf('api', 'firing', 1), service: { cluster: 'eu1', namespace: 'shop', name: 'api' } });
    const p = eventOf(a, KEY).payload;
    expect(p).toMatchObject({ source: 'eu1:shop/api', component: 'api', group: 'shop', class: 'spike/cpu_cores', timestamp: a.window.end });
    expect(p.custom_details.cluster).toBe('eu1');
  });

  it('round-trips every alert field through the event', () => {
    const a = AlertSchema.parse({
      ...alertOf('api', 'resolved', 2),
      kind: 'new_peer',
      metric: 'edge',
      expected: null,
      details: { rps: 3, note: 'x', ok: true, none: null },
      peer: { namespace: 'pay', name: 'ledger' },
    });
    expect(alertOfEvent(JSON.parse(JSON.stringify(eventOf(a, KEY))) as ReturnType<typeof eventOf>)).toEqual(a);
  });

  it('keeps summaries within 1024 characters, cutting on code points', () => {
    expect(truncateChars('abc', 1024)).toBe('abc');
    const long = '€'.repeat(2000);
    expect([...truncateChars(long, 1024)]).toHaveLength(1024);
    const emoji = '😀'.repeat(1030);
    const cut = truncateChars(emoji, 1024);
    expect([...cut]).toHaveLength(1024);
    expect(cut.endsWith('😀…')).toBe(true);
  });
});
