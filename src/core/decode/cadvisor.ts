/**
 * cAdvisor Kafka storage driver messages (formats.md §1) -> `{ kind: 'container' }`.
 *
 * Input: `{ timestamp, machine_name, container_Name, container_Id, container_labels,
 * container_stats }` (note `container_Name`/`container_Id` casing). Event time is
 * `container_stats.timestamp` (collection time, RFC 3339 ns), never the envelope's send time.
 *
 * Identity:
 * - Kubernetes (`io.kubernetes.pod.{namespace,name}` labels, or a dockershim name
 *   `k8s_<ctr>_<pod>_<ns>_<uid>_<n>`): service = the pod's workload (identity.ts; only the
 *   sandbox carries the pod's labels, so an app container's name is a fallback that stage 1 joins
 *   to the sandbox's by pod, `pod` on the observation), container key
 *   `<ns>/<pod>/<container>` (parts escaped like service keys: no two containers share one). The
 *   sandbox (container name `POD` or absent, `io.kubernetes.docker.type=podsandbox`,
 *   `io.cri-containerd.kind=sandbox`) holds the pod's network namespace and contributes ONLY
 *   network counters; every other container (istio-proxy included) contributes everything
 *   EXCEPT network, so pod traffic is counted once.
 * - Other containers with an id or labels (docker, compose): service
 *   `{ namespace: com.docker.compose.project ?? 'docker', name: com.docker.compose.service ??
 *   container name without '/' }`, container key = container id; they contribute everything.
 * - No id and no labels (root `/`, systemd slices, kubepods QoS/pod cgroups, raw cgroups):
 *   `ignored` — they double-count their children.
 * - The service passes `validateServiceId` (identity.ts), else MW_DECODE_BAD_IDENTITY.
 *
 * Units (model names): counters `cpu_usage_ns` (cpu.usage.total, ns), `cpu_cfs_periods`,
 * `cpu_cfs_throttled_periods`, `network_rx_bytes`/`network_tx_bytes` (sum of
 * network.interfaces[], else the promoted first-interface fields); gauges
 * `memory_working_set_bytes`, `fs_usage_bytes` (sum of filesystem[].usage), `processes`
 * (processes.process_count). cAdvisor ≤ v0.57 zero-fills structs it did not collect and v0.60+
 * omits them: an all-zero cpu usage / cfs / processes block, a zero working set with zero usage,
 * or a nameless all-zero network counts as NOT collected and its keys are left out. A message with
 * nothing collected is `ignored`. No limits: the driver does not send the container spec.
 * Failures: SCHEMA (wrong type, path in reason), BAD_VALUE (negative, non-finite, "NaN", beyond
 * the plausible maxima of limits.ts),
 * BAD_TIMESTAMP (container_stats.timestamp missing/unparseable/zero time).
 */
import { type ContainerGaugeName, type ContainerStats, type CounterName, type PodOrigin, type ServiceId, escapeKeyPart } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { type Obj, type Part, Fields, at, has, ignoredOne, isObj, own, typeName } from './fields.js';
import { quote } from './json-text.js';
import { LIMITS, MAX_EVENT_TIME_MS } from './limits.js';
import { podIdentity, validateServiceId, withCluster } from './identity.js';
import { parseTimestampMs } from './time.js';

export const isCadvisor = (v: unknown): v is Obj => isObj(v) && has(v, 'container_stats');

type Role = 'sandbox' | 'app' | 'standalone';
interface Who {
  service: ServiceId;
  pod?: PodOrigin;
  container: string;
  role: Role;
}

const DOCKERSHIM_NAME = /^\/?k8s_([^_]+)_([^_]+)_([^_]+)_[^_]+_\d+$/;
const SANDBOX_NAME = 'POD';

function identify(name: string, id: string, labels: Record<string, string> | undefined, cluster: string | undefined): Who | undefined {
  let namespace = labels?.['io.kubernetes.pod.namespace'];
  let pod = labels?.['io.kubernetes.pod.name'];
  let ctr = labels?.['io.kubernetes.container.name'];
  if (!namespace || !pod) {
    const m = DOCKERSHIM_NAME.exec(name);
    if (m?.[1] && m[2] && m[3]) [ctr, pod, namespace] = [m[1], m[2], m[3]];
  }
  if (namespace && pod) {
    const sandbox =
      ctr === undefined ||
      ctr === '' ||
      ctr === SANDBOX_NAME ||
      labels?.['io.kubernetes.docker.type'] === 'podsandbox' ||
      labels?.['io.cri-containerd.kind'] === 'sandbox';
    // Only the sandbox carries the pod's labels; an app container's may be its image's: they
    // name it, but stage 1 gives it the sandbox's name once known.
    const named = podIdentity({ namespace, pod, labels, labelsArePods: sandbox }, cluster);
    return {
      service: named.service,
      pod: named.pod,
      container: [namespace, pod, sandbox || ctr === undefined ? SANDBOX_NAME : ctr].map(escapeKeyPart).join('/'),
      role: sandbox ? 'sandbox' : 'app',
    };
  }
  const hasLabels = labels !== undefined && Object.keys(labels).length > 0;
  if ((id === '' && !hasLabels) || name === '/') return undefined;
  const bare = name.startsWith('/') ? name.slice(1) : name;
  const svc = labels?.['com.docker.compose.service'] || bare || id;
  if (svc === '') return undefined;
  return {
    service: withCluster({ namespace: labels?.['com.docker.compose.project'] || 'docker', name: svc }, cluster),
    container: id || bare,
    role: 'standalone',
  };
}

const S = 'container_stats';
const anyPositive = (...xs: (number | undefined)[]): boolean => xs.some((x) => x !== undefined && x > 0);

/** CPU, memory, filesystem and process figures (everything but network). */
function readUsage(
  f: Fields,
  stats: Obj,
  counters: Partial<Record<CounterName, number>>,
  gauges: Partial<Record<ContainerGaugeName, number>>,
): void {
  const cpu = f.obj(stats, 'cpu', S);
  const usage = f.obj(cpu, 'usage', `${S}.cpu`);
  const total = f.amount(usage, 'total', `${S}.cpu.usage`, LIMITS.cpuNs);
  const user = f.amount(usage, 'user', `${S}.cpu.usage`, LIMITS.cpuNs);
  if (total !== undefined && anyPositive(total, user, f.amount(usage, 'system', `${S}.cpu.usage`, LIMITS.cpuNs))) {
    counters.cpu_usage_ns = total;
  }
  const cfs = f.obj(cpu, 'cfs', `${S}.cpu`);
  const periods = f.amount(cfs, 'periods', `${S}.cpu.cfs`, LIMITS.cfsPeriods);
  const throttled = f.amount(cfs, 'throttled_periods', `${S}.cpu.cfs`, LIMITS.cfsPeriods);
  if (anyPositive(periods, throttled, f.amount(cfs, 'throttled_time', `${S}.cpu.cfs`, LIMITS.cpuNs))) {
    if (periods !== undefined) counters.cpu_cfs_periods = periods;
    if (throttled !== undefined) counters.cpu_cfs_throttled_periods = throttled;
  }

  // Cumulative; cAdvisor omits it while 0. Learned profiles read its increase as an OOM kill.
  const ooms = f.amount(stats, 'oom_events', S, LIMITS.processes);
  if (ooms !== undefined && ooms > 0) counters.oom_events = ooms;

  const memory = f.obj(stats, 'memory', S);
  const workingSet = f.amount(memory, 'working_set', `${S}.memory`, LIMITS.memoryBytes);
  if (workingSet !== undefined && anyPositive(workingSet, f.amount(memory, 'usage', `${S}.memory`, LIMITS.memoryBytes))) {
    gauges.memory_working_set_bytes = workingSet;
  }

  const filesystems = f.arr(stats, 'filesystem', S);
  let fsUsage: number | undefined;
  filesystems?.forEach((fs, i) => {
    const path = at(`${S}.filesystem`, i);
    if (!isObj(fs)) return f.fail('MW_DECODE_SCHEMA', path, `expected object, got ${typeName(fs)}`);
    const used = f.amount(fs, 'usage', path, LIMITS.fsBytes);
    if (used !== undefined) fsUsage = (fsUsage ?? 0) + used;
    return undefined;
  });
  if (fsUsage !== undefined) gauges.fs_usage_bytes = fsUsage;

  const P = `${S}.processes`;
  const processes = f.obj(stats, 'processes', S);
  const count = f.amount(processes, 'process_count', P, LIMITS.processes);
  if (
    anyPositive(
      count,
      f.amount(processes, 'fd_count', P, LIMITS.processes),
      f.amount(processes, 'socket_count', P, LIMITS.processes),
      f.amount(processes, 'threads_current', P, LIMITS.processes),
    )
  ) {
    gauges.processes = count ?? 0;
  }
}

/** Pod/container network namespace counters: per-interface sum, else the promoted first interface. */
function readNetwork(f: Fields, stats: Obj, counters: Partial<Record<CounterName, number>>): void {
  const N = `${S}.network`;
  const network = f.obj(stats, 'network', S);
  const interfaces = f.arr(network, 'interfaces', N);
  if (interfaces !== undefined && interfaces.length > 0) {
    let rx = 0;
    let tx = 0;
    interfaces.forEach((nic, i) => {
      const path = at(`${N}.interfaces`, i);
      if (!isObj(nic)) return f.fail('MW_DECODE_SCHEMA', path, `expected object, got ${typeName(nic)}`);
      rx += f.amount(nic, 'rx_bytes', path, LIMITS.networkBytes) ?? 0;
      tx += f.amount(nic, 'tx_bytes', path, LIMITS.networkBytes) ?? 0;
      return undefined;
    });
    counters.network_rx_bytes = rx;
    counters.network_tx_bytes = tx;
    return;
  }
  const name = f.str(network, 'name', N);
  const rx = f.amount(network, 'rx_bytes', N, LIMITS.networkBytes);
  const tx = f.amount(network, 'tx_bytes', N, LIMITS.networkBytes);
  if (name || anyPositive(rx, tx)) {
    if (rx !== undefined) counters.network_rx_bytes = rx;
    if (tx !== undefined) counters.network_tx_bytes = tx;
  }
}

export function decodeCadvisor(msg: Obj, cluster: string | undefined): Result<Part> {
  const f = new Fields();
  const labels = f.labels(msg, 'container_labels', '');
  const name = f.str(msg, 'container_Name', '') ?? '';
  const id = f.str(msg, 'container_Id', '') ?? '';
  const stats = f.obj(msg, 'container_stats', '');
  if (f.problem !== undefined) return { ok: false, error: f.problem };
  if (stats === undefined)
    return fail('MW_DECODE_SCHEMA', `container_stats: expected object, got ${typeName(own(msg, 'container_stats'))}`);

  const who = identify(name, id, labels, cluster);
  if (who === undefined) return ignoredOne();
  const named = validateServiceId(who.service, '(service from container_labels/container_Name)');
  if (!named.ok) return named;

  const rawTs = own(stats, 'timestamp');
  const ts = typeof rawTs === 'string' ? parseTimestampMs(rawTs) : undefined;
  if (ts === undefined || ts > MAX_EVENT_TIME_MS) {
    const got = typeof rawTs === 'string' ? quote(rawTs) : typeName(rawTs);
    return fail('MW_DECODE_BAD_TIMESTAMP', `${S}.timestamp: expected an RFC 3339 time after 1970, got ${got}`);
  }

  const counters: Partial<Record<CounterName, number>> = {};
  const gauges: Partial<Record<ContainerGaugeName, number>> = {};
  if (who.role !== 'sandbox') readUsage(f, stats, counters, gauges);
  if (who.role !== 'app') readNetwork(f, stats, counters);
  if (f.problem !== undefined) return { ok: false, error: f.problem };
  if (Object.keys(counters).length === 0 && Object.keys(gauges).length === 0) return ignoredOne();

  const container: ContainerStats = { ts, service: who.service, container: who.container, counters, gauges };
  if (who.pod) container.pod = who.pod;
  return ok({ observations: [{ kind: 'container', stats: container }], ignored: 0 });
}
