/**
 * Every Redis key meshwatch writes is built here. Each service's keys carry the hash tag
 * `{<namespace>/<name>}` so a Redis Cluster keeps one service in one slot.
 *
 *   <prefix>:{<service>}:state    hash: meta, counters, peers, episodes, b:<metric>
 */
export interface Keys {
  state(serviceKey: string): string;
}

export const keysFor = (prefix: string): Keys => ({
  state: (serviceKey) => `${prefix}:{${serviceKey}}:state`,
});
