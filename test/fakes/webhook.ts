/**
 * A webhook receiver on 127.0.0.1 (port 0) that checks what a signed webhook promises,
 * independently of meshwatch's code: HMAC-SHA256 with the shared secret over
 * `<x-meshwatch-timestamp>.<raw body>`, hex, in `x-meshwatch-signature: sha256=<hex>`,
 * compared in constant time; a timestamp more than 5 minutes off is refused. A request
 * failing the check is answered 401 and recorded in `refused`. Accepted bodies are kept in
 * order with their headers. `failNext` scripts answers (e.g. 503, or 429 with Retry-After);
 * `rejectWhen` answers 422 to the bodies it picks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface Received {
  body: unknown;
  headers: Record<string, string>;
}

export class FakeWebhook {
  readonly received: Received[] = [];
  readonly refused: string[] = [];
  readonly statuses: number[] = [];
  private readonly scripted: { status: number; retryAfter?: string }[] = [];
  private rejecter: ((body: unknown) => boolean) | undefined;
  private server: Server | undefined;
  url = '';
  /** How long an accepted delivery waits for its 204 after it was recorded (a slow receiver). */
  answerDelayMs = 0;

  /** `secret` undefined: no signature is checked. */
  constructor(private readonly secret?: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/meshwatch`;
    return this;
  }

  failNext(status: number, retryAfter?: string): void {
    this.scripted.push(retryAfter === undefined ? { status } : { status, retryAfter });
  }

  /** 422 to the bodies the predicate picks (a refusal the sender cannot foresee). */
  rejectWhen(f: (body: unknown) => boolean): void {
    this.rejecter = f;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const answer = (status: number, headers: Record<string, string> = {}): void => {
      this.statuses.push(status);
      res.writeHead(status, headers).end(status >= 400 ? `refused (${status})` : '');
    };
    const s = this.scripted.shift();
    if (s) return answer(s.status, s.retryAfter ? { 'retry-after': s.retryAfter } : {});
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    if (this.secret !== undefined) {
      const why = this.check(raw, headers);
      if (why) {
        this.refused.push(why);
        return answer(401);
      }
    }
    const body = JSON.parse(raw) as unknown;
    if (this.rejecter?.(body)) return answer(422);
    this.received.push({ body, headers });
    if (this.answerDelayMs > 0) setTimeout(() => answer(204), this.answerDelayMs);
    else answer(204);
  }

  private check(raw: string, h: Record<string, string>): string | undefined {
    const ts = h['x-meshwatch-timestamp'];
    const sig = h['x-meshwatch-signature'];
    if (!ts || !sig) return 'unsigned';
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return 'stale timestamp';
    const want = Buffer.from('sha256=' + createHmac('sha256', this.secret!).update(`${ts}.${raw}`).digest('hex'));
    const got = Buffer.from(sig);
    return want.length === got.length && timingSafeEqual(want, got) ? undefined : 'bad signature';
  }
}
