/**
 * meshwatch's HTTP server (Node's `http`, no framework: a dozen read-only routes do not earn one).
 *
 *   GET /healthz                        alive: 200 while the process runs
 *   GET /readyz                         ready: 200 when every readiness check passes, else 503 with each result
 *   GET /metrics                        Prometheus text (src/telemetry/sdk.ts)
 *   GET /                               the page (page.ts: ui/index.html, /ui/app.js, /ui/style.css)
 *   GET /api/v1/services                services held by stage 2, a page at a time (?after=KEY&limit=N)
 *   GET /api/v1/services/KEY            one service: each metric's last value and expected band, open episodes
 *   GET /api/v1/services/KEY/series     its recent windows per metric, each with the band it was judged against
 *   GET /api/v1/services/KEY/peers      its peers, new ones marked
 *   GET /api/v1/services/KEY/profile    its learned profile and recommendation
 *   GET /api/v1/alerts                  recent alerts, newest first (?service=KEY&limit=N)
 *
 * Binds to loopback unless configured otherwise. With a token configured, everything but the
 * probes, /metrics and the page's static files (which hold no data) needs `Authorization:
 * Bearer <token>` (compared in constant time). Only GET and HEAD; request URLs are bounded
 * (MAX_URL_CHARS); answers are JSON, bounded by the state query's page limit. A failing read
 * answers 503 with the MW code, never a stack trace.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { MeshwatchError } from '../errors.js';
import { type StateQuery } from '../runtime/ports.js';
import { serveApi } from './api.js';
import { type PageFiles, loadPage, servePage } from './page.js';
import { send } from './respond.js';

export interface ReadinessCheck {
  name: string;
  /** true when ready; a string says why not. */
  check: () => Promise<true | string> | true | string;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  token?: string | undefined;
  query?: StateQuery | undefined;
  readiness: readonly ReadinessCheck[];
  metrics: (req: IncomingMessage, res: ServerResponse) => void;
  /** Longest a readiness check may take before it counts as failed. */
  checkTimeoutMs?: number;
  /** The page's files (default: the package's ui/ folder, page.ts). */
  page?: PageFiles;
}

export interface HttpServer {
  /** The bound address (port 0 in the options: the port the system chose). */
  url: string;
  close(): Promise<void>;
}

export const MAX_URL_CHARS = 4096;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

async function timed<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServer> {
  const checkTimeoutMs = o.checkTimeoutMs ?? 2000;
  const page = o.page ?? loadPage();
  const tokenDigest = o.token ? digest(o.token) : undefined;
  const authorized = (req: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const h = req.headers.authorization ?? '';
    const given = h.startsWith('Bearer ') ? h.slice(7) : '';
    return timingSafeEqual(digest(given), tokenDigest);
  };

  const readiness = async (): Promise<{ ready: boolean; checks: Record<string, string> }> => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const c of o.readiness) {
      let r: true | string;
      try {
        r = await timed(c.check(), checkTimeoutMs, c.name);
      } catch (e) {
        r = e instanceof Error ? e.message : String(e);
      }
      checks[c.name] = r === true ? 'ok' : r;
      if (r !== true) ready = false;
    }
    return { ready, checks };
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (!authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      send(res, 401, { error: 'MW_HTTP_UNAUTHORIZED', reason: 'a bearer token is required' });
      return;
    }
    if (!o.query) {
      send(res, 404, { error: 'MW_HTTP_REQUEST', reason: 'this process runs no stage 2 (role ingest or a sink)' });
      return;
    }
    await serveApi(o.query, req, res, url);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, { error: 'MW_HTTP_REQUEST', reason: 'read-only: GET or HEAD' });
      return;
    }
    if ((req.url ?? '').length > MAX_URL_CHARS) {
      send(res, 414, { error: 'MW_HTTP_REQUEST', reason: `URL longer than ${MAX_URL_CHARS} characters` });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://meshwatch');
    } catch {
      send(res, 400, { error: 'MW_HTTP_REQUEST', reason: 'unparseable URL' });
      return;
    }
    switch (url.pathname) {
      case '/healthz':
        send(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const r = await readiness();
        send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks });
        return;
      }
      case '/metrics':
        o.metrics(req, res);
        return;
    }
    if (servePage(page, url.pathname, res)) return;
    if (url.pathname.startsWith('/api/')) {
      await api(req, res, url);
      return;
    }
    send(res, 404, { error: 'MW_HTTP_REQUEST', reason: 'no such route' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const code = e instanceof MeshwatchError ? e.code : e instanceof URIError ? 'MW_HTTP_REQUEST' : 'MW_HTTP_INTERNAL';
      const status = code === 'MW_HTTP_REQUEST' ? 400 : code === 'MW_HTTP_INTERNAL' ? 500 : 503;
      if (!res.headersSent) send(res, status, { error: code, reason: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new MeshwatchError('MW_HTTP_LISTEN', `http: cannot listen on ${o.host}:${o.port} (${e.code ?? e.message})`, { cause: e })),
    );
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
