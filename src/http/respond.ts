/** How meshwatch's HTTP server answers: JSON bodies, never cached. */
import { type ServerResponse } from 'node:http';

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

export const badRequest = (res: ServerResponse, reason: string): void => send(res, 400, { error: 'MW_HTTP_REQUEST', reason });
export const notFound = (res: ServerResponse, reason: string): void => send(res, 404, { error: 'MW_HTTP_REQUEST', reason });
