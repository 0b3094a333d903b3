/**
 * The PagerDuty sink's routing rules, links and Retry-After against the local Events API v2
 * (test/fakes/pagerduty.ts): each alert goes under the key its rule names, an alert no rule
 * matches (and no default) is refused for good, a 429's Retry-After reaches the worker, and
 * no key of any rule appears in a message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { PagerDutySink, routerOf } from '../../src/sinks/pagerduty/index.js';
import { type CustomDetails } from '../../src/sinks/pagerduty/events.js';
import { FakePagerDuty } from '../fakes/pagerduty.js';
import { alertOf } from './alert-sink.js';

const PAY = 'PAYMENTSKEY000000000000000000001';
const CRIT = 'CRITICALKEY000000000000000000002';

describe('PagerDuty routing, links and Retry-After', () => {
  let pd: FakePagerDuty;
  afterEach(() => pd.stop());
  const in_ = (ns: string, name: string, severity: Alert['severity'], i: number): Alert => ({
    ...alertOf(name, 'firing', i),
    service: { namespace: ns, name },
    severity,
  });

  it('routes by namespace and severity, links each event, and refuses an alert no rule matches', async () => {
    pd = await new FakePagerDuty().start();
    const c = parseConfig({
      sinks: {
        pagerduty: {
          enabled: true,
          url: pd.url,
          routes: [
            { severity: ['critical'], routingKey: CRIT },
            { namespace: 'pay', routingKey: PAY },
          ],
          links: [{ text: 'dashboard', url: 'https://grafana.example/d/mesh?var-ns={namespace}&var-svc={service}' }],
        },
      },
    }).sinks.pagerduty;
    const sink = new PagerDutySink({ router: routerOf(c), url: pd.url, links: c.links });
    expect(await sink.deliver([in_('pay', 'ledger', 'error', 0), in_('shop', 'cart', 'critical', 1)])).toEqual({ ok: true });
    expect(pd.events.map((e) => [e.payload.component, e.routing_key])).toEqual([
      ['ledger', PAY],
      ['cart', CRIT],
    ]);
    expect(pd.events[0]!.links).toEqual([{ href: 'https://grafana.example/d/mesh?var-ns=pay&var-svc=ledger', text: 'dashboard' }]);
    expect((pd.events[0]!.payload.custom_details as CustomDetails).observed_vs_expected).toBe('observed 6 vs expected 1 (band 0.8..1.2)');

    const d = await sink.deliver([in_('shop', 'search', 'warning', 2)]);
    expect(d).toMatchObject({ ok: false, retriable: false });
    if (!d.ok) expect(d.error.message).toContain('no PagerDuty routing rule matches');
    expect(pd.events).toHaveLength(2);
  });

  it("a 429's Retry-After is handed to the worker; a refusal under a rule's key never shows it", async () => {
    pd = await new FakePagerDuty().start();
    pd.retryAfter = '30';
    pd.failNext(429);
    const router = { keyFor: () => PAY, secrets: [PAY, CRIT] };
    const sink = new PagerDutySink({ router, url: pd.url });
    const a = in_('pay', 'ledger', 'error', 3);
    expect(await sink.deliver([a])).toMatchObject({ ok: false, retriable: true, retryAfterMs: 30_000 });
    expect(await sink.deliver([a])).toEqual({ ok: true });

    pd.rejectWhen(() => `routing_key ${PAY} is not an Events API v2 integration`);
    const refused = await sink.deliver([a]);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.message).toContain('routing_key *** is not');
      expect(refused.error.message).not.toContain(PAY);
    }
  });
});
