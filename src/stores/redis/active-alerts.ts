/**
 * The Alertmanager sink's active set in Redis (src/sinks/alertmanager/active.ts): one hash,
 * `<prefix>:sink:{alertmanager}:active` (keys.ts `sinkKey`), field = the label key, value =
 * the entry as JSON. Every read is bounded: `all()` scans at most `limit` entries (HSCAN,
 * 500 at a time), and an entry that does not parse (or is over 256 KiB) is deleted, not used.
 */
import { type ActiveEntry, type ActiveSet } from '../../sinks/alertmanager/active.js';
import { type RedisConnection } from './connection.js';

/** Largest stored entry read back (bytes); anything bigger is not ours. */
const MAX_ENTRY_CHARS = 256 * 1024;

export class RedisActiveSet implements ActiveSet {
  constructor(
    private readonly conn: RedisConnection,
    private readonly key: string,
  ) {}

  async get(field: string): Promise<ActiveEntry | undefined> {
    const v = await this.conn.roundTrip('hget', () => this.conn.redis.hget(this.key, field));
    return v === null ? undefined : entryOf(v);
  }

  async put(field: string, entry: ActiveEntry): Promise<void> {
    await this.conn.roundTrip('hset', () => this.conn.redis.hset(this.key, field, JSON.stringify(entry)));
  }

  async remove(fields: readonly string[]): Promise<void> {
    for (let i = 0; i < fields.length; i += 500) {
      const chunk = fields.slice(i, i + 500);
      await this.conn.roundTrip('hdel', () => this.conn.redis.hdel(this.key, ...chunk));
    }
  }

  size(): Promise<number> {
    return this.conn.roundTrip('hlen', () => this.conn.redis.hlen(this.key));
  }

  async all(limit: number): Promise<Map<string, ActiveEntry>> {
    const out = new Map<string, ActiveEntry>();
    const broken: string[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.conn.roundTrip('hscan', () => this.conn.redis.hscan(this.key, cursor, 'COUNT', 500));
      cursor = next;
      for (let i = 0; i + 1 < flat.length && out.size < limit; i += 2) {
        const e = entryOf(flat[i + 1]!);
        if (e) out.set(flat[i]!, e);
        else broken.push(flat[i]!);
      }
    } while (cursor !== '0' && out.size < limit);
    if (broken.length > 0) await this.remove(broken);
    return out;
  }
}

function entryOf(text: string): ActiveEntry | undefined {
  if (text.length > MAX_ENTRY_CHARS) return undefined;
  try {
    const j = JSON.parse(text) as Partial<ActiveEntry>;
    const a = j.alert;
    if (!a || typeof a !== 'object' || typeof a.labels !== 'object' || typeof a.startsAt !== 'string' || typeof a.endsAt !== 'string') {
      return undefined;
    }
    const resolvedAtMs = typeof j.resolvedAtMs === 'number' ? j.resolvedAtMs : null;
    return { alert: a, resolvedAtMs };
  } catch {
    return undefined;
  }
}
