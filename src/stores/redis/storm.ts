/**
 * The storm ledger in Redis: the one view every detect instance shares (each owns only some
 * services). Two keys under the store's prefix, hash tag `{storm}` (service keys always hold a
 * `/`, so they never take this tag):
 *
 *   <prefix>:{storm}:seen    sorted set: service key → start of the last window it closed
 *   <prefix>:{storm}:state   string: the ledger (open service incidents, the storm), JSON
 *
 * A batch adds its services to `seen` (ZADD GT: a late writer never moves a service back), trims
 * what left the storm window, counts the services seen per window start it reports, then runs
 * the pure stormStep on the ledger and writes it back only if nobody changed it meanwhile
 * (compare-and-set in one Lua call), retrying on a conflict. Idempotent for a re-read batch:
 * the ledger already holds its incidents and answers with the storm's current document.
 *
 * The hold (params.holdMs, core/incident/storm.ts): a window's storm decision is known when no
 * service seen within the storm span before it still lags behind it (ZCOUNT of `seen`); held
 * documents live in the ledger until then, or holdMs.
 */
import { type Incident } from '../../core/incident/schema.js';
import { type StormLedgerState, type StormParams, type StormStepResult, emptyStormLedger, stormStep } from '../../core/incident/storm.js';
import { MeshwatchError } from '../../errors.js';
import { type RedisConnection } from './connection.js';

const CAS = `if (redis.call('GET', KEYS[1]) or '') == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 else return 0 end`;
/** Keys of a mesh whose detect stage stopped expire: the services seen after a day, the ledger after 30. */
const SEEN_TTL_S = 24 * 3600;
const STATE_TTL_S = 30 * 24 * 3600;
const MAX_CONFLICTS = 20;
const SEEN_KEPT_MS = 3_600_000;

export const stormKeysFor = (prefix: string): { seen: string; state: string } => ({
  seen: `${prefix}:{storm}:seen`,
  state: `${prefix}:{storm}:state`,
});

export class RedisStormLedger {
  private readonly keys: { seen: string; state: string };

  constructor(
    private readonly connection: RedisConnection,
    prefix: string,
    readonly params: StormParams,
  ) {
    this.keys = stormKeysFor(prefix);
  }

  async step(closed: readonly (readonly [string, number])[], incidents: readonly Incident[]): Promise<StormStepResult> {
    const redis = this.connection.redis;
    const { seen, state } = this.keys;
    if (closed.length) {
      const latest = new Map<string, number>();
      for (const [k, t] of closed) if (t > (latest.get(k) ?? -Infinity)) latest.set(k, t);
      const newest = Math.max(...latest.values());
      const args = [...latest].flatMap(([k, t]) => [t, k]);
      await this.connection.roundTrip('storm seen', () =>
        this.connection
          .multi()
          .zadd(seen, 'GT', ...args)
          // Forget services gone for an hour, never sooner: a partition far ahead must not drop the others' services.
          .zremrangebyscore(seen, '-inf', `(${newest - Math.max(2 * this.params.windowMs, SEEN_KEPT_MS)}`)
          .expire(seen, SEEN_TTL_S)
          .exec(),
      );
    }
    const w = this.params.windowMs;
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const before = (await this.connection.roundTrip('storm read', () => redis.get(state))) ?? '';
      const prev = before ? (JSON.parse(before) as StormLedgerState) : emptyStormLedger();
      if (!incidents.some((i) => i.scope === 'service') && !prev.held)
        return { state: prev, storms: [], stormOf: new Map(), held: new Set(), released: [] };
      const held = Object.values(prev.held ?? {}).flatMap((q) => q.slice(0, 1).map((h) => h.doc));
      const starts = [...new Set([...incidents, ...held].map((i) => Date.parse(i.window.start)))];
      const counts = new Map<number, number>();
      const decided = new Map<number, boolean>();
      for (const t of starts) {
        // Services seen within the storm span (the share's denominator), and those of them still behind t.
        const [n, lagging] = await this.connection.roundTrip('storm count', () =>
          Promise.all([redis.zcount(seen, `(${t - w}`, '+inf'), redis.zcount(seen, t - w, `(${t}`)]),
        );
        counts.set(t, n);
        decided.set(t, lagging === 0);
      }
      const r = stormStep(prev, incidents, (t) => counts.get(t) ?? 0, this.params, {
        decided: (t) => decided.get(t) ?? true,
        nowMs: Date.now(),
      });
      const after = JSON.stringify(r.state);
      if (after === before) return r;
      const ok = await this.connection.roundTrip('storm write', () => redis.eval(CAS, 1, state, before, after, STATE_TTL_S));
      if (ok === 1) return r;
    }
    throw new MeshwatchError('MW_STORE_UNAVAILABLE', `storm ledger: ${MAX_CONFLICTS} conflicting writers in a row`, { retriable: true });
  }
}
