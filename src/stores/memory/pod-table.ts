/**
 * In-memory PodTable (tests, a single ingest process): entries expire `ttlMs` after their last
 * write; a value that is not a plausible name is absent, as from Redis.
 */
import { validateServiceId } from '../../core/decode/identity.js';
import { type PodEntry } from '../../core/identity/attribution.js';
import { type PodTable } from '../types.js';

export class MemoryPodTable implements PodTable {
  private readonly data = new Map<string, { name: string; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(podKeys: readonly string[]): Promise<PodEntry[]> {
    const t = this.now();
    const out: PodEntry[] = [];
    for (const key of podKeys) {
      const e = this.data.get(key);
      if (e === undefined) continue;
      if (e.until <= t) this.data.delete(key);
      else if (validateServiceId({ namespace: '-', name: e.name }, 'pod').ok) out.push({ key, name: e.name });
    }
    return Promise.resolve(out);
  }

  put(entries: readonly PodEntry[]): Promise<void> {
    const until = this.now() + this.ttlMs;
    for (const { key, name } of entries) this.data.set(key, { name, until });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
