/**
 * Heap per held service in stage 2: what one service costs a detect process at steady state,
 * to size `bounds.maxServices` against a heap budget.
 *
 * A template service runs `--days` of windows (requests with a latency spread, one container
 * with the cAdvisor counters and gauges, 8 peers), so its baselines carry their seasonal
 * profiles; then `--services` copies of that state (renamed) are adopted by one engine, each
 * with `--pending` open windows, as a detect process holds them. heapUsed is read after a full
 * GC before and after.
 *
 *   node --expose-gc --import tsx bench/heap-per-service.ts [--services N] [--days D] [--pending P]
 */
import { parseArgs } from 'node:util';
import { engineParamsOf } from '../src/config/derive.js';
import { parseConfig } from '../src/config/load.js';
import { type ServiceId, serviceKey } from '../src/core/model.js';
import { ServiceAdmission } from '../src/core/pipeline/admission.js';
import { DetectEngine, admissionParamsOf } from '../src/core/pipeline/engine.js';
import { type ServiceState } from '../src/core/pipeline/service-state.js';
import { type WindowPartial, emptyPartial } from '../src/core/window/partial.js';
import { emptySketch, sketchAdd } from '../src/core/window/sketch.js';

const { values } = parseArgs({ options: { services: { type: 'string' }, days: { type: 'string' }, pending: { type: 'string' } } });
const services = Number(values.services ?? 20_000);
const days = Number(values.days ?? 15);
const pending = Number(values.pending ?? 3);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const WINDOW_MS = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const config = parseConfig({ window: { ms: WINDOW_MS } });
// No cap and no rate: the bench measures what holding costs, not what the admission refuses.
const params = {
  ...engineParamsOf(config),
  maxServices: Number.MAX_SAFE_INTEGER,
  newServicesPerMinute: Infinity,
  newServicesBurst: Infinity,
};

const PEERS: ServiceId[] = Array.from({ length: 8 }, (_, i) => ({ namespace: 'shop', name: `peer-${i}` }));
const counters = { cpu: 1e12, periods: 1e6, throttled: 1e4, rx: 1e9, tx: 1e9 };

/** One realistic window of `service` at window index i (diurnal load, noise). */
function windowOf(service: ServiceId, i: number): WindowPartial {
  const start = T0 + i * WINDOW_MS;
  const p = emptyPartial(service, start, WINDOW_MS);
  const load = 1 + 0.5 * Math.sin((2 * Math.PI * (i % 1440)) / 1440) + 0.05 * Math.sin(i * 7.3);
  const n = Math.round(600 * load);
  const latencyMs = emptySketch();
  for (let k = 0; k < 40; k++) sketchAdd(latencyMs, 5 + ((k * 37 + i) % 200) * load, Math.ceil(n / 40));
  p.requests = { n, errors: Math.round(n * 0.002), bytesIn: n * 420, bytesOut: n * 3900, latencyMs };
  counters.cpu += Math.round(0.4 * load * 1e9 * 60);
  counters.periods += 600;
  counters.throttled += Math.round(6 * load);
  counters.rx += n * 500;
  counters.tx += n * 4000;
  const pt = (v: number) => ({ ts: start + 30_000, v });
  p.containers['checkout-7d9f8c6b5-x2k4q/app'] = {
    gauges: {
      memory_working_set_bytes: { n: 4, sum: 4 * 3e8 * load, min: 2.9e8 * load, max: 3.1e8 * load },
      memory_limit_bytes: { n: 4, sum: 4 * 1e9, min: 1e9, max: 1e9 },
      fs_usage_bytes: { n: 4, sum: 4 * 5e7, min: 5e7, max: 5e7 },
      processes: { n: 4, sum: 48, min: 12, max: 12 },
    },
    counters: {
      cpu_usage_ns: { first: pt(counters.cpu), last: pt(counters.cpu) },
      cpu_cfs_periods: { first: pt(counters.periods), last: pt(counters.periods) },
      cpu_cfs_throttled_periods: { first: pt(counters.throttled), last: pt(counters.throttled) },
      network_rx_bytes: { first: pt(counters.rx), last: pt(counters.rx) },
      network_tx_bytes: { first: pt(counters.tx), last: pt(counters.tx) },
    },
  };
  for (const [k, peer] of PEERS.entries()) {
    const direction = k % 2 ? 'inbound' : 'outbound';
    p.edges[`${direction === 'inbound' ? 'in' : 'out'}:${serviceKey(peer)}`] = {
      direction,
      peer,
      requests: n / 8,
      errors: 0,
      bytes: n * 500,
    };
  }
  return p;
}

// 1. The template: one service through `days` of windows.
const template: ServiceId = { namespace: 'shop', name: 'template' };
const warm = new DetectEngine(params, new ServiceAdmission(admissionParamsOf(params)));
const windows = Math.round((days * 86_400_000) / WINDOW_MS);
let state: ServiceState | undefined;
for (let i = 0; i < windows; i++) {
  warm.offer(windowOf(template, i));
  warm.observeSource('bench', T0 + (i + 1) * WINDOW_MS, false);
  for (const s of warm.advance().dirty) state = s;
}
for (const s of warm.flush().dirty) state = s;
if (!state) throw new Error('no state');
const json = JSON.stringify(state);
const pendingPartial = windowOf(template, windows + 1);

// 2. `services` copies held by one engine, each with `pending` open windows.
const before = heapMiB();
const engine = new DetectEngine(params, new ServiceAdmission(admissionParamsOf(params)));
for (let s = 0; s < services; s++) {
  const service: ServiceId = { namespace: `ns-${s % 50}`, name: `svc-${s}` };
  engine.adopt({ ...(JSON.parse(json) as ServiceState), service });
  for (let w = 0; w < pending; w++) {
    const p = structuredClone(pendingPartial);
    engine.offer({ ...p, service, windowStart: p.windowStart + w * WINDOW_MS });
  }
}
const after = heapMiB();
const perService = ((after - before) * 2 ** 20) / services;
console.log(
  JSON.stringify({
    node: process.version,
    services: engine.size,
    days,
    pending,
    stateJsonBytes: json.length,
    heapBeforeMiB: Math.round(before),
    heapAfterMiB: Math.round(after),
    heapPerServiceKiB: Math.round(perService / 102.4) / 10,
    servicesPer512MiB: Math.floor((512 * 2 ** 20) / perService),
  }),
);
