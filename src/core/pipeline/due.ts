/**
 * Which held services have a pending window that may close: indexed by window end, so that
 * the engine's `advance` visits only those instead of every service it holds (a replay
 * advances after every few hundred records, over thousands of services). Pure, in memory.
 */
export class DueIndex<H extends { readonly seq: number }> {
  private readonly byEnd = new Map<number, Set<H>>();
  private readonly crowded = new Set<H>();

  /** `held` has a pending window ending at `endMs` (idempotent). */
  add(held: H, endMs: number): void {
    let at = this.byEnd.get(endMs);
    if (!at) {
      at = new Set();
      this.byEnd.set(endMs, at);
    }
    at.add(held);
  }

  /** `held` has more windows open than its bound: it is visited at the next `take`, due or not. */
  markCrowded(held: H): void {
    this.crowded.add(held);
  }

  /** Removes and returns, in `seq` order, the services with a window ending at or before `watermarkMs` and the crowded ones. */
  take(watermarkMs: number): H[] {
    const out = new Set<H>(this.crowded);
    this.crowded.clear();
    for (const [end, helds] of this.byEnd) {
      if (end > watermarkMs) continue;
      for (const h of helds) out.add(h);
      this.byEnd.delete(end);
    }
    return [...out].sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.byEnd.clear();
    this.crowded.clear();
  }
}
