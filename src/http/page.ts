/**
 * The page: static files from the package's `ui/` folder (plain HTML, one ES module, one
 * stylesheet; no framework, no build step, nothing fetched from elsewhere at run time), read
 * once when the server starts and served from memory. Only the names below are served, so no
 * request path ever reaches the file system.
 *
 * The files hold no data: the page reads the API (api.ts) from the browser, with the bearer
 * token when one is configured (the page asks for it, or takes it from `#token=` in its
 * address, which never reaches a server). Every answer carries a Content-Security-Policy that
 * allows this origin's script, style and API only: no inline script or handlers, no other hosts.
 */
import { readFileSync } from 'node:fs';
import { type ServerResponse } from 'node:http';

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/ui/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/ui/style.css': ['style.css', 'text/css; charset=utf-8'],
};

export type PageFiles = ReadonlyMap<string, { body: Buffer; type: string }>;

/** `ui/` beside `src/` and `dist/`: this module sits two folders below the package root in both. */
const UI_DIR = new URL('../../ui/', import.meta.url);

/** The page's files; an empty map when the package has no `ui/` folder (the page then answers 404). */
export function loadPage(dir: URL = UI_DIR): PageFiles {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [path, [file, type]] of Object.entries(FILES)) {
    try {
      files.set(path, { body: readFileSync(new URL(file, dir)), type });
    } catch {
      return new Map();
    }
  }
  return files;
}

/** Answers a request for one of the page's files; false when `path` is not one. */
export function servePage(files: PageFiles, path: string, res: ServerResponse): boolean {
  if (path === '/favicon.ico' && files.size) {
    // Browsers ask for it unprompted; the page has none.
    res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
    return true;
  }
  const f = files.get(path);
  if (!f) return false;
  res.writeHead(200, {
    'content-type': f.type,
    'content-length': f.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(f.body);
  return true;
}
