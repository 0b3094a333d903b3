/**
 * A local Splunk HTTP Event Collector on 127.0.0.1, port 0, implementing the documented
 * contract: POST /services/collector/event with `Authorization: Splunk <token>` (401 code 2
 * without it, 403 code 4 for a wrong one), a body of one or more JSON event objects whose
 * `event` must be present (400 code 12) and not blank (400 code 13), JSON (400 code 6); with
 * indexer acknowledgement on, `X-Splunk-Request-Channel` is required (400 code 10) and the
 * answer carries an `ackId` that POST /services/collector/ack reports `true` once "indexed"
 * (after `ackAfterPolls` polls; `loseAcks` never). Answers `{"text":"Success","code":0}`.
 * `failNext` scripts 503 code 9 (server busy) or 500 code 8 before any processing.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface ReceivedEvent {
  event: unknown;
  time?: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  fields?: Record<string, string>;
  channel: string | undefined;
  ackId?: number;
}

export class FakeSplunkHec {
  /** Events accepted, in arrival order (indexed or not). */
  readonly events: ReceivedEvent[] = [];
  readonly statuses: number[] = [];
  readonly authHeaders: string[] = [];
  ackAfterPolls = 0;
  loseAcks = false;
  private readonly scripted: number[] = [];
  private readonly polls = new Map<number, number>();
  private readonly confirmed = new Set<number>();
  private nextAck = 0;
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly token: string,
    private readonly ack = false,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  failNext(...statuses: number[]): void {
    this.scripted.push(...statuses);
  }

  /** Events Splunk has confirmed as indexed (acknowledgement on) or accepted (off). */
  indexed(): ReceivedEvent[] {
    return this.ack ? this.events.filter((e) => e.ackId !== undefined && this.confirmed.has(e.ackId)) : this.events;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const answer = (status: number, body: unknown): void => {
      this.statuses.push(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const scripted = this.scripted.shift();
    if (scripted === 503) return answer(503, { text: 'Server is busy', code: 9 });
    if (scripted !== undefined) return answer(scripted, { text: 'Internal server error', code: 8 });
    const auth = req.headers.authorization;
    this.authHeaders.push(auth ?? '');
    if (!auth) return answer(401, { text: 'Token is required', code: 2 });
    if (auth !== `Splunk ${this.token}`) return answer(403, { text: 'Invalid token', code: 4 });
    const url = new URL(req.url ?? '/', 'http://x');
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (url.pathname === '/services/collector/ack') {
      if (!this.ack) return answer(400, { text: 'ACK is disabled', code: 14 });
      if (!channel) return answer(400, { text: 'Data channel is missing', code: 10 });
      const ids = (JSON.parse(raw) as { acks: number[] }).acks;
      const acks: Record<string, boolean> = {};
      for (const id of ids) {
        const n = (this.polls.get(id) ?? 0) + 1;
        this.polls.set(id, n);
        acks[String(id)] = !this.loseAcks && n > this.ackAfterPolls;
        if (acks[String(id)]) this.confirmed.add(id);
      }
      return answer(200, { acks });
    }
    if (url.pathname !== '/services/collector/event' || req.method !== 'POST') return answer(404, { text: 'Not Found', code: 404 });
    if (this.ack && !channel) return answer(400, { text: 'Data channel is missing', code: 10 });
    let objects: Record<string, unknown>[];
    try {
      objects = splitEvents(raw);
    } catch {
      return answer(400, { text: 'Invalid data format', code: 6 });
    }
    if (objects.length === 0) return answer(400, { text: 'No data', code: 5 });
    for (const o of objects) {
      if (!('event' in o)) return answer(400, { text: 'Event field is required', code: 12 });
      if (o.event === '' || o.event === null) return answer(400, { text: 'Event field cannot be blank', code: 13 });
    }
    const ackId = this.ack ? this.nextAck++ : undefined;
    for (const o of objects)
      this.events.push({ ...(o as Omit<ReceivedEvent, 'channel'>), channel, ...(ackId === undefined ? {} : { ackId }) });
    answer(200, ackId === undefined ? { text: 'Success', code: 0 } : { text: 'Success', code: 0, ackId });
  }
}

/** Consecutive JSON objects (HEC's batch framing), parsed one after the other. */
function splitEvents(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}') {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
      if (depth < 0) throw new Error('unbalanced');
    } else if (depth === 0 && !/\s/.test(c ?? '')) throw new Error('garbage between events');
  }
  if (depth !== 0) throw new Error('truncated');
  return out;
}
