/**
 * The set of alerts the Alertmanager sink keeps re-sending (the resend contract): per label
 * set, the last postable alert and, once resolved, when. Bounded by the sink (`maxActive`).
 *
 * It lives in Redis (one hash, `<prefix>:sink:{alertmanager}:active`, field = the label
 * key, value = JSON), written before the alert's offset is committed, so a restarted sink
 * (or another instance of it) resends exactly what was firing or recently resolved; the
 * memory implementation serves tests and `meshwatch sinks test`. The Redis one is
 * src/stores/redis/active-alerts.ts.
 */
import { type PostableAlert } from './alerts.js';

export interface ActiveEntry {
  alert: PostableAlert;
  /** When meshwatch resolved it (processing time, ms); null while firing. */
  resolvedAtMs: number | null;
}

export interface ActiveSet {
  get(key: string): Promise<ActiveEntry | undefined>;
  put(key: string, entry: ActiveEntry): Promise<void>;
  remove(keys: readonly string[]): Promise<void>;
  size(): Promise<number>;
  /** Every entry (at most `limit`). */
  all(limit: number): Promise<Map<string, ActiveEntry>>;
}

export class MemoryActiveSet implements ActiveSet {
  readonly entries = new Map<string, ActiveEntry>();
  get(key: string): Promise<ActiveEntry | undefined> {
    return Promise.resolve(this.entries.get(key));
  }
  put(key: string, entry: ActiveEntry): Promise<void> {
    this.entries.set(key, entry);
    return Promise.resolve();
  }
  remove(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
    return Promise.resolve();
  }
  size(): Promise<number> {
    return Promise.resolve(this.entries.size);
  }
  all(limit: number): Promise<Map<string, ActiveEntry>> {
    return Promise.resolve(new Map([...this.entries].slice(0, limit)));
  }
}
