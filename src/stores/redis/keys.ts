/**
 * Every Redis key meshwatch writes is built here.
 *
 * Layout (one service = one identity = one hash tag):
 *
 *   <prefix>:{<serviceKey>}:state    hash: meta, counters, peers, episodes, cooldowns, last, profile, b:<metric>
 *   <prefix>:pod:{<podKey>}          string: the pod's workload name (stage 1's pod table, PX expiry)
 *   <prefix>:{changelog}:restored:<p>  string: set once the states of changelog partition p are in
 *                                      Redis (restored, or none to restore); its absence means Redis lost them
 *
 * `<serviceKey>` is `serviceKey(service)` from src/core/model.ts: `[<cluster>:]<namespace>/<name>`
 * with every part percent-escaped, so it never contains `{` or `}`. Redis Cluster hashes only
 * what lies between the first `{` and the next `}`, so the tag is exactly the whole encoded
 * identity: one identity's keys share a slot, and distinct identities (names with `/`, `{`, `:`,
 * clusters) never share a key. The prefix must not contain `{` or `}` (it would become the tag).
 * Cluster-less plain names keep their earlier keys (`<prefix>:{shop/cart}:state`).
 */
export interface Keys {
  /** `serviceKey` is an encoded key from `serviceKey()`, never a raw name. */
  state(serviceKey: string): string;
  /**
   * The declared profiles in force, shared by every detect instance (src/stores/redis/profiles.ts):
   *
   *   <prefix>:{profiles}:dir       hash: workload key → profile JSON, the profile directory's set
   *   <prefix>:{profiles}:cli       hash: workload key → profile JSON, declared on the command line
   *   <prefix>:{profiles}:version   integer, incremented by every change
   *
   * One hash tag (`profiles` is never a service key: those hold a `/`), so a Redis Cluster keeps
   * the three in one slot and one MULTI changes them together.
   */
  profiles(part: 'dir' | 'cli' | 'version'): string;
  /** `podKey` is an encoded key from `podKey()` (`[cluster:]namespace/pod`). */
  pod(podKey: string): string;
  /** The marker that Redis holds the states of a changelog partition (src/stores/redis/restore.ts); never a service key (no `/`). */
  restored(partition: number): string;
}

export const keysFor = (prefix: string): Keys => ({
  state: (serviceKey) => `${prefix}:{${serviceKey}}:state`,
  profiles: (part) => `${prefix}:{profiles}:${part}`,
  pod: (podKey) => `${prefix}:pod:{${podKey}}`,
  restored: (partition) => `${prefix}:{changelog}:restored:${partition}`,
});

/**
 * A sink's own state (not a service's): `<prefix>:sink:{<name>}:<what>`, e.g. the
 * Alertmanager sink's active alerts `mw:sink:{alertmanager}:active` (one hash).
 */
export const sinkKey = (prefix: string, name: string, what: string): string => `${prefix}:sink:{${name}}:${what}`;
