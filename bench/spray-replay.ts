/**
 * A cardinality explosion through the whole pipeline in one process (decode → windows →
 * admission → detect, as `meshwatch replay` runs it; no broker): a synthetic mesh (Istio access
 * logs + cAdvisor, a CPU spike on checkout) with, in its middle minutes, `--spray` canonical
 * samples each from a new random service (and `--peers` calls from frontend to new random
 * peers). Default bounds. The same mesh runs first without the spray. Reports the peak and
 * post-GC heap, the services held and refused, the cardinality alerts, and whether the mesh's own
 * alerts are the same.
 *
 *   node --expose-gc --import tsx bench/spray-replay.ts [--spray N] [--peers N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { aggregatorOptionsOf, engineParamsOf } from '../src/config/derive.js';
import { parseConfig } from '../src/config/load.js';
import { type Alert } from '../src/core/alert/schema.js';
import { LocalPipeline } from '../src/core/pipeline/local.js';
import { SyntheticMesh } from '../src/demo/mesh.js';

const { values } = parseArgs({ options: { spray: { type: 'string' }, peers: { type: 'string' } } });
const SPRAY = Number(values.spray ?? 1_000_000);
const PEERS = Number(values.peers ?? 0);
const WINDOW_MS = 10_000;
const WINDOWS = 60;
const SPRAY_FROM = 18;
const SPRAY_TO = 29;
const BASE_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with node --expose-gc');
const gc: () => void = maybeGc;
const mib = (b: number): number => Math.round(b / 2 ** 20);

/** The mesh's own access-log line of frontend calling cart, made a call to `peer` (a new random name). */
const callTo = (template: string, peer: string): string => template.replaceAll('cart', peer);

function runOnce(spray: number, peers: number): Record<string, unknown> & { mesh: string[] } {
  const config = parseConfig({ window: { ms: WINDOW_MS } });
  const pipeline = new LocalPipeline({
    aggregator: aggregatorOptionsOf(config),
    engine: engineParamsOf(config),
    decode: { maxBytes: config.ingest.maxMessageBytes },
    batchRecords: 2000,
  });
  const mesh = new SyntheticMesh(WINDOW_MS, [{ kind: 'cpu_spike', service: 'checkout', factor: 6, from: 34, to: 40 }], 7);
  const alerts: Alert[] = [];
  let heapPeak = 0;
  let lines = 0;
  const push = (line: string): void => {
    alerts.push(...pipeline.push(line));
    if (++lines % 20_000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  };
  gc();
  const started = Date.now();
  const sprayPer = Math.ceil(spray / (SPRAY_TO - SPRAY_FROM));
  const peersPer = Math.ceil(peers / (SPRAY_TO - SPRAY_FROM));
  for (let w = 0; w < WINDOWS; w++) {
    const m = mesh.window(BASE_MS, w);
    for (const line of [...m.envoy, ...m.cadvisor]) push(line);
    if (w < SPRAY_FROM || w >= SPRAY_TO) continue;
    const t = BASE_MS + w * WINDOW_MS;
    for (let i = 0; i < sprayPer; i++) {
      push(JSON.stringify({ ts: t + (i % WINDOW_MS), service: `spray/${randomBytes(6).toString('hex')}`, metric: 'requests', value: 1 }));
    }
    const template = m.envoy.find((l) => l.includes('frontend') && l.includes('outbound|') && l.includes('cart'));
    if (peersPer > 0 && !template) throw new Error('no frontend → cart line to copy');
    for (let i = 0; i < peersPer; i++) push(callTo(template!, `p${randomBytes(6).toString('hex')}`));
  }
  alerts.push(...pipeline.end());
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  gc();
  const text = (a: Alert): string => `${a.status} ${a.kind} ${a.service.namespace}/${a.service.name} ${a.metric} ${a.window.start} ${a.id}`;
  const engine: Record<string, unknown> = { ...pipeline.stats.engine };
  delete engine.verdicts;
  return {
    seconds: Math.round((Date.now() - started) / 1000),
    lines,
    heapPeakMiB: mib(heapPeak),
    heapAfterGcMiB: mib(process.memoryUsage().heapUsed),
    servicesHeld: pipeline.engine.size,
    engine,
    cardinality: alerts.filter((a) => a.kind === 'cardinality').map((a) => `${text(a)} observed=${a.observed}: ${a.summary}`),
    newPeerAlerts: alerts.filter((a) => a.kind === 'new_peer').length,
    mesh: alerts.filter((a) => a.kind !== 'cardinality' && a.kind !== 'new_peer').map(text),
  };
}

const clean = runOnce(0, 0);
const sprayed = runOnce(SPRAY, PEERS);
const same = JSON.stringify(clean.mesh) === JSON.stringify(sprayed.mesh);
console.log(JSON.stringify({ node: process.version, spray: SPRAY, peers: PEERS, clean, sprayed, meshAlertsSame: same }, null, 2));
