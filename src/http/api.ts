/**
 * The read-only JSON API under /api/v1 (the routes are listed in server.ts), over the StateQuery
 * port. A service `KEY` is its `serviceKey` (`[cluster:]namespace/name`), URL-encoded as one path
 * segment (`shop%2Fcheckout`); the sub-resources `series`, `peers` and `profile` follow it.
 * Pages and lists are bounded by the query (at most MAX_PAGE items).
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { serviceKey } from '../core/model.js';
import { type StateQuery } from '../runtime/ports.js';
import { badRequest, notFound, send } from './respond.js';

const SERVICES = '/api/v1/services';
const SUBRESOURCE = /^(.+)\/(series|peers|profile)$/;

/** `limit` from the query string: undefined when absent, null when not a non-negative integer. */
function limitOf(url: URL): number | undefined | null {
  const text = url.searchParams.get('limit');
  if (text === null) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export async function serveApi(query: StateQuery, _req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const limit = limitOf(url);
  if (limit === null) return badRequest(res, 'limit must be a non-negative integer');
  const page = limit !== undefined ? { limit } : {};
  if (path === SERVICES) {
    const after = url.searchParams.get('after') ?? undefined;
    const services = await query.services({ ...(after !== undefined ? { after } : {}), ...page });
    // `keys`: each service's KEY for the routes below, as the server spells it (parallel to `services`).
    return send(res, 200, { services, keys: services.map(serviceKey) });
  }
  if (path === '/api/v1/alerts') {
    const service = url.searchParams.get('service') ?? undefined;
    const alerts = await query.alerts({ ...(service !== undefined ? { service } : {}), ...page });
    return send(res, 200, { alerts });
  }
  if (path.startsWith(`${SERVICES}/`)) {
    const rest = path.slice(SERVICES.length + 1);
    const sub = SUBRESOURCE.exec(rest);
    const key = decodeURIComponent(sub ? (sub[1] as string) : rest);
    const what = sub?.[2];
    const body =
      what === 'series'
        ? await query.series(key)
        : what === 'peers'
          ? await query.peers(key).then((peers) => peers && { peers })
          : what === 'profile'
            ? await query.profile(key)
            : await query.service(key);
    if (body === undefined) return notFound(res, what === 'series' ? 'no recent windows of this service here' : 'no such service');
    return send(res, 200, body);
  }
  notFound(res, 'no such route');
}
