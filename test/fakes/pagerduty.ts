/**
 * A local PagerDuty Events API v2 (integrations.md §1.1) on 127.0.0.1, port 0: POST
 * /v2/enqueue validates the event as PagerDuty documents it (routing_key of 32 characters,
 * event_action, dedup_key ≤ 255 and required for resolve, summary ≤ 1024, source, severity
 * enum, body ≤ 512 KB) and answers 202 `{status, message, dedup_key}` or 400 `{status,
 * message, errors}`. Dedup by key: a trigger opens an alert unless one is open under its key,
 * a resolve closes it (and is dropped when none is open). Tests script failures: `failNext`
 * answers the next requests with the given statuses (429, 500) before any processing, and
 * `rejectWhen` answers 400 to events a predicate picks (a refusal meshwatch cannot foresee).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type PagerDutyEvent } from '../../src/sinks/pagerduty/index.js';

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const MAX_BODY_BYTES = 512 * 1024;

export class FakePagerDuty {
  /** Accepted events, in arrival order. */
  readonly events: PagerDutyEvent[] = [];
  /** Every request's status, in order. */
  readonly statuses: number[] = [];
  /** Alerts PagerDuty opened (a trigger under a key with no open alert). */
  opened = 0;
  readonly open = new Set<string>();
  private readonly scripted: number[] = [];
  private rejecter: ((e: PagerDutyEvent) => string | undefined) | undefined;
  /** Sent as Retry-After with a scripted 429, when set. */
  retryAfter: string | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v2/enqueue`;
    return this;
  }

  failNext(...statuses: number[]): void {
    this.scripted.push(...statuses);
  }

  /** 400 with the returned message for events the predicate names a reason for. */
  rejectWhen(f: (e: PagerDutyEvent) => string | undefined): void {
    this.rejecter = f;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const answer = (status: number, body: unknown): void => {
      this.statuses.push(status);
      const after = status === 429 && this.retryAfter !== undefined ? { 'retry-after': this.retryAfter } : {};
      res.writeHead(status, { 'content-type': 'application/json', ...after });
      res.end(JSON.stringify(body));
    };
    const scripted = this.scripted.shift();
    if (scripted === 429) return answer(429, { status: 'throttle event', message: 'Request Limit Exceeded' });
    if (scripted !== undefined) return answer(scripted, { status: 'error', message: 'Internal Server Error' });
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return answer(404, { status: 'error', message: 'Not Found' });
    if (raw.length > MAX_BODY_BYTES) return answer(400, invalid(['Event is too large']));
    let e: PagerDutyEvent;
    try {
      e = JSON.parse(raw.toString('utf8')) as PagerDutyEvent;
    } catch {
      return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] });
    }
    const errors = validate(e);
    if (errors.length > 0) return answer(400, invalid(errors));
    const refused = this.rejecter?.(e);
    if (refused !== undefined) return answer(400, invalid([refused]));
    const key = e.dedup_key;
    if (e.event_action === 'trigger') {
      if (!this.open.has(key)) this.opened++;
      this.open.add(key);
    } else if (e.event_action === 'resolve') {
      this.open.delete(key);
    }
    this.events.push(e);
    answer(202, { status: 'success', message: 'Event processed', dedup_key: key });
  }
}

const invalid = (errors: string[]): unknown => ({ status: 'invalid event', message: 'Event object is invalid', errors });

function validate(e: Partial<PagerDutyEvent>): string[] {
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("'routing_key' must be 32 characters");
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(e.event_action))) errors.push("'event_action' is invalid");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) {
    errors.push("'dedup_key' must be at most 255 characters");
  }
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required for acknowledge/resolve");
  if (e.event_action === 'trigger') {
    const p = e.payload;
    if (!p) return [...errors, "'payload' is missing"];
    if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is missing");
    else if (p.summary.length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
    if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing");
    if (!SEVERITIES.has(String(p.severity))) errors.push("'payload.severity' is invalid");
    if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp))) errors.push("'payload.timestamp' is invalid");
  }
  return errors;
}
