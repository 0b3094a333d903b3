/**
 * In-memory state store: replay and tests. Stores encoded copies (through the same codec
 * as Redis) so callers cannot share mutable state with it and the codec is exercised.
 */
import { serviceKey } from '../../core/model.js';
import { type ServiceState } from '../../core/pipeline/service-state.js';
import { decodeState, encodeState } from '../codec.js';
import { type StateStore } from '../types.js';

export class MemoryStateStore implements StateStore {
  private readonly data = new Map<string, Record<string, string>>();

  load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>> {
    const out = new Map<string, ServiceState>();
    for (const k of serviceKeys) {
      const f = this.data.get(k);
      const s = f ? decodeState(k, f) : undefined;
      if (s) out.set(k, s);
    }
    return Promise.resolve(out);
  }

  save(states: readonly ServiceState[]): Promise<void> {
    for (const s of states) {
      const k = serviceKey(s.service);
      this.data.set(k, { ...this.data.get(k), ...encodeState(s) });
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
