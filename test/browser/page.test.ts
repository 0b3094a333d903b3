/**
 * The page in a real browser: Debian's Chromium, headless, driven by playwright-core (both
 * installed by the set-up: scripts/browser.sh, `npm ci`; no browser download). The demo's
 * pipeline runs against the real broker and Redis (its own topics, groups and key prefix) with
 * the page on a free port; once the injected anomalies have alerted, the page must show the CPU
 * spike as an alert marker on shop/checkout's cpu_cores chart at the alert's window (and no
 * marker on an untouched service), and shop/payments highlighted as a new peer of
 * shop/frontend. The page runs under its Content-Security-Policy with no error in the console.
 * Screenshots go to test-output/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRun, startDemo } from '../../src/cli/demo.js';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { startHttpServer } from '../../src/http/server.js';
import { type StateQuery } from '../../src/runtime/ports.js';
import { testConfig, uniqueId } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${root}test-output`;

let browser: Browser | undefined;
let demo: DemoRun | undefined;

beforeAll(() => {
  const executablePath = execFileSync('bash', [`${root}scripts/browser.sh`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  mkdirSync(OUT, { recursive: true });
  return chromium
    .launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
    .then((b) => void (browser = b));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Selects a service in the list (by mouse, or from the keyboard) and waits until the detail shows it. */
async function open(page: Page, key: string, keyboard = false): Promise<void> {
  const button = page.locator(`[data-testid="service"][data-service="${key}"] button`);
  if (keyboard) {
    await button.focus();
    await page.keyboard.press('Enter');
  } else await button.click();
  await page.locator(`[data-testid="service-detail"][data-service="${key}"]`).waitFor();
}

describe('the page', { timeout: 300_000 }, () => {
  it('shows hostile service names as text, never as markup', async () => {
    const hostile: ServiceId = { namespace: '"><script>window.pwned=1</script>', name: '<img src=x onerror="window.pwned=2">' };
    const key = serviceKey(hostile);
    const none = () => Promise.resolve(undefined);
    const query: StateQuery = {
      services: () => Promise.resolve([hostile]),
      service: none,
      profile: none,
      series: (k) =>
        Promise.resolve(
          k === key
            ? { service: hostile, windowMs: 10_000, metrics: [{ metric: '<b>m</b>', points: [{ start: 0, value: 1, expected: null }] }] }
            : undefined,
        ),
      peers: () =>
        Promise.resolve([
          { peer: '<svg onload="window.pwned=3">', direction: 'outbound', firstSeen: 0, lastSeen: 0, requests: 1, new: true },
        ]),
      alerts: () => Promise.resolve([]),
    };
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, query, readiness: [], metrics: () => undefined });
    const page = await browser!.newPage();
    try {
      let dialogs = 0;
      page.on('dialog', (d) => void d.dismiss().then(() => dialogs++));
      await page.goto(`${server.url}/`);
      const item = page.locator('[data-testid="service"] button').first();
      await item.waitFor();
      expect(await item.textContent()).toBe(key);
      expect(key).toContain('<img');
      await item.click();
      await page.locator('[data-testid="peer"]').first().waitFor();
      expect(await page.locator('[data-testid="peer"]').first().textContent()).toContain('<svg onload=');
      expect(await page.locator('figcaption .metric').first().textContent()).toBe('<b>m</b>');
      expect(await page.locator('#service-title').textContent()).toBe(key);
      expect(await page.locator('main img, nav img, script:not([src]), b, main svg[onload]').count()).toBe(0);
      expect(await page.evaluate('window.pwned')).toBeUndefined();
      expect(dialogs).toBe(0);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('shows the injected spike as an alert marker on the right chart and the new peer highlighted', async () => {
    const token = 'a-page-test-token-0123456789';
    demo = await startDemo(testConfig(uniqueId('page'), { http: { port: 0, token } }));
    expect(demo.http?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await demo.caught).toBe(true);
    const spike = demo.alerts.find(
      (a) => a.service.name === 'checkout' && a.kind === 'spike' && a.metric === 'cpu_cores' && a.status === 'firing',
    );
    expect(spike).toBeDefined();

    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    // A 404 from the API is an answer (nothing known yet); anything else failing is a problem.
    const expected404 = (url: string, status: number): boolean => status === 404 && new URL(url).pathname.startsWith('/api/');
    page.on('response', (r) => {
      if (r.status() >= 400 && !expected404(r.url(), r.status())) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !(m.text().includes('404') && new URL(m.location().url || 'http://x/').pathname.startsWith('/api/')))
        problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    // The token travels in the fragment, which the browser never sends to a server.
    const response = await page.goto(`${demo.http!.url}/#token=${token}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(page.url()).not.toContain(token);

    await open(page, 'shop/checkout');
    const cpu = page.locator('[data-testid="chart"][data-service="shop/checkout"][data-metric="cpu_cores"]');
    const marker = cpu.locator('[data-testid="alert-marker"][data-kind="spike"][data-status="firing"]');
    await marker.first().waitFor({ timeout: 30_000 });
    expect(await marker.first().getAttribute('data-window-start')).toBe(spike!.window.start);
    await page.screenshot({ path: `${OUT}/page-checkout.png`, fullPage: true });

    // An untouched service: its charts are drawn, with no marker.
    await open(page, 'shop/auth');
    await page.locator('[data-testid="chart"][data-service="shop/auth"]').first().waitFor();
    expect(await page.locator('[data-testid="chart"][data-service="shop/auth"] [data-testid="alert-marker"]').count()).toBe(0);

    await open(page, 'shop/frontend', true);
    expect(await page.locator(`[data-testid="service"][data-service="shop/frontend"] button`).getAttribute('aria-pressed')).toBe('true');
    const payments = page.locator('[data-testid="peer"][data-peer="shop/payments"][data-direction="outbound"]');
    await payments.waitFor({ timeout: 30_000 });
    expect(await payments.getAttribute('data-new')).toBe('true');
    expect(await payments.getAttribute('class')).toContain('new');
    const known = page.locator('[data-testid="peer"][data-peer="shop/cart"][data-direction="outbound"]');
    expect(await known.getAttribute('data-new')).toBe('false');
    await page.screenshot({ path: `${OUT}/page-frontend.png`, fullPage: true });

    expect(problems).toEqual([]);
  });
});
