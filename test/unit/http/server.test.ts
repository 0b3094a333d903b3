/**
 * The HTTP server's contract over an in-memory StateQuery: routes, methods, bounds, the token,
 * readiness (failing and hanging checks) and a failing read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, MAX_URL_CHARS, startHttpServer } from '../../../src/http/server.js';
import { MeshwatchError } from '../../../src/errors.js';
import { type AlertSummary, type ServiceView, type StateQuery } from '../../../src/runtime/ports.js';

const TOKEN = 'sixteen-chars-or-more';
let ready: true | string = true;
let hang = false;

const views: ServiceView[] = ['a', 'b', 'c'].map((name) => ({
  service: { namespace: 'shop', name },
  windows: 3,
  lastWindowStartMs: 0,
  metrics: [{ metric: 'requests_per_s', value: 1, expected: { value: 1, lower: 0.5, upper: 1.5 } }],
  openEpisodes: [],
}));
const ALERT: AlertSummary = {
  id: 'a1',
  service: 'shop/a',
  kind: 'spike',
  status: 'firing',
  severity: 'warning',
  metric: 'requests_per_s',
  peer: null,
  windowStart: '1970-01-01T00:00:00.000Z',
  startsAt: '1970-01-01T00:00:00.000Z',
  summary: 'shop/a requests_per_s above its band',
};
const query: StateQuery = {
  services: (page = {}) =>
    Promise.resolve(
      views
        .map((v) => v.service)
        .filter((s) => page.after === undefined || `shop/${s.name}` > page.after)
        .slice(0, page.limit ?? 100),
    ),
  service: (key) => {
    if (key === 'shop/broken') return Promise.reject(new MeshwatchError('MW_STORE_UNAVAILABLE', 'redis at redis://h:6379 did not answer'));
    return Promise.resolve(views.find((v) => `shop/${v.service.name}` === key));
  },
  profile: () => Promise.resolve(undefined),
  series: (key) =>
    Promise.resolve(
      key === 'shop/a'
        ? {
            service: { namespace: 'shop', name: 'a' },
            windowMs: 10_000,
            metrics: [{ metric: 'requests_per_s', points: [{ start: 0, value: 1, expected: { value: 1, lower: 0.5, upper: 1.5 } }] }],
          }
        : undefined,
    ),
  peers: (key) =>
    Promise.resolve(
      key === 'shop/a'
        ? [{ peer: 'shop/b', direction: 'outbound' as const, firstSeen: 0, lastSeen: 0, requests: 3, new: true }]
        : undefined,
    ),
  alerts: (opts = {}) => Promise.resolve(opts.service === 'shop/none' ? [] : [ALERT].slice(0, opts.limit ?? 100)),
};

let server: HttpServer;
beforeAll(async () => {
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    query,
    checkTimeoutMs: 200,
    metrics: (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('meshwatch_up 1\n'),
    readiness: [
      { name: 'store', check: () => ready },
      { name: 'slow', check: () => (hang ? new Promise<true>(() => undefined) : true) },
    ],
  });
});
afterAll(() => server.close());

const auth = { authorization: `Bearer ${TOKEN}` };
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${server.url}${path}`, { headers, method });

describe('HTTP server', () => {
  it.each([
    ['/healthz', {}, 200],
    ['/metrics', {}, 200],
    ['/readyz', {}, 200],
    ['/api/v1/services', {}, 401],
    ['/api/v1/services', { authorization: 'Bearer nope' }, 401],
    ['/api/v1/services', { authorization: TOKEN }, 401],
    ['/api/v1/services', auth, 200],
    ['/api/v1/services/shop%2Fa', auth, 200],
    ['/api/v1/services/shop%2Fz', auth, 404],
    ['/api/v1/services?limit=-1', auth, 400],
    ['/api/v1/services?limit=1.5', auth, 400],
    ['/api/v1/services/%E0%A4%A', auth, 400],
    ['/api/v1/services/shop%2Fa/series', auth, 200],
    ['/api/v1/services/shop%2Fa/series', {}, 401],
    ['/api/v1/services/shop%2Fz/series', auth, 404],
    ['/api/v1/services/shop%2Fa/peers', auth, 200],
    ['/api/v1/services/shop%2Fz/peers', auth, 404],
    ['/api/v1/alerts', auth, 200],
    ['/api/v1/alerts', {}, 401],
    ['/api/v1/alerts?limit=x', auth, 400],
    ['/', {}, 200],
    ['/ui/app.js', {}, 200],
    ['/ui/style.css', {}, 200],
    ['/favicon.ico', {}, 204],
    ['/ui/../package.json', {}, 404],
    ['/ui/%2e%2e/package.json', {}, 404],
    ['/api/v2/anything', auth, 404],
    ['/nowhere', {}, 404],
  ] as [string, Record<string, string>, number][])('GET %s %o → %i', async (path, headers, status) => {
    const r = await get(path, headers);
    expect(r.status).toBe(status);
    if (status >= 400) expect(((await r.json()) as { error: string }).error).toMatch(/^MW_/);
  });

  it("answers a service's recent windows, its peers and the recent alerts", async () => {
    const series = (await (await get('/api/v1/services/shop%2Fa/series', auth)).json()) as { metrics: { points: unknown[] }[] };
    expect(series.metrics[0]?.points).toEqual([{ start: 0, value: 1, expected: { value: 1, lower: 0.5, upper: 1.5 } }]);
    const peers = (await (await get('/api/v1/services/shop%2Fa/peers', auth)).json()) as { peers: { peer: string; new: boolean }[] };
    expect(peers.peers).toMatchObject([{ peer: 'shop/b', new: true }]);
    expect(await (await get('/api/v1/alerts?service=shop%2Fnone', auth)).json()).toEqual({ alerts: [] });
    expect(await (await get('/api/v1/alerts?limit=0', auth)).json()).toEqual({ alerts: [] });
    expect(await (await get('/api/v1/alerts', auth)).json()).toEqual({ alerts: [ALERT] });
  });

  it('serves the page under its Content-Security-Policy, with no inline script', async () => {
    const r = await get('/');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await r.text();
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(html).not.toMatch(/<script>|\son[a-z]+=/i);
    expect((await get('/ui/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await (await get('/ui/app.js')).text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('refuses a URL longer than its bound', async () => {
    expect((await get(`/healthz?${'x'.repeat(MAX_URL_CHARS)}`)).status).toBe(414);
  });

  it('refuses anything but GET and HEAD', async () => {
    expect((await get('/healthz', {}, 'POST')).status).toBe(405);
    expect((await get('/api/v1/services', auth, 'DELETE')).status).toBe(405);
    expect((await get('/healthz', {}, 'HEAD')).status).toBe(200);
  });

  it('pages services after a key, within the limit', async () => {
    const body = (await (await get('/api/v1/services?after=shop/a&limit=1', auth)).json()) as { services: unknown[]; keys: string[] };
    expect(body.services).toEqual([{ namespace: 'shop', name: 'b' }]);
    expect(body.keys).toEqual(['shop/b']);
  });

  it('a failing read answers 503 with its MW code, no stack', async () => {
    const r = await get('/api/v1/services/shop%2Fbroken', auth);
    expect(r.status).toBe(503);
    const body = (await r.json()) as { error: string; reason: string };
    expect(body.error).toBe('MW_STORE_UNAVAILABLE');
    expect(body.reason).not.toMatch(/\n\s+at /);
  });

  it('is not ready while a check fails or hangs, and says which', async () => {
    ready = 'redis at redis://h:6379 is not answering';
    let r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'not ready', checks: { store: ready, slow: 'ok' } });
    ready = true;
    hang = true;
    r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { checks: Record<string, string> }).checks.slow).toMatch(/no answer within 200 ms/);
    hang = false;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('a port in use fails with MW_HTTP_LISTEN naming the address', async () => {
    const port = Number(new URL(server.url).port);
    await expect(startHttpServer({ host: '127.0.0.1', port, readiness: [], metrics: () => undefined })).rejects.toMatchObject({
      code: 'MW_HTTP_LISTEN',
      message: expect.stringContaining(`127.0.0.1:${port}`) as unknown,
    });
  });
});
