/**
 * `meshwatch profiles list|show|recommend|export`: the learned profiles stage 2 keeps in Redis
 * (read-only; the same view the StateQuery port gives, core/profile/view.ts).
 *
 *   list                          one line per service with a learned profile
 *   show SERVICE                  the learned profile's recommendation and peers, JSON
 *   recommend [SERVICE]           per container target/lower/upper (cores, bytes) and traffic
 *                                 budgets, one JSON line per service (all services without SERVICE)
 *   export SERVICE --format F     F = k8s | istio | networkpolicy | profile, YAML on stdout
 *
 * SERVICE is a service key, `namespace/name` (or `cluster:namespace/name`). Export options:
 * --qos guaranteed|burstable|both (k8s), --kind Deployment|StatefulSet|DaemonSet (k8s),
 * --action audit|allow (istio), --trust-domain D and --assume-service-accounts (istio),
 * --selector-label L (istio, networkpolicy). A service with no learned profile is MW_USAGE.
 */
import { stringify } from 'yaml';
import { type Config } from '../config/schema.js';
import { parseServiceKey, serviceKey } from '../core/model.js';
import {
  DEFAULT_EXPORT,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  exportIstio,
  exportK8s,
  exportNetworkPolicy,
  exportProfile,
} from '../core/profile/export.js';
import { type ProfileView, profileView } from '../core/profile/view.js';
import { MeshwatchError } from '../errors.js';
import { RedisStateStore, redisStoreOptionsOf } from '../stores/redis/store.js';
import { type CommonFlags } from './args.js';

export const PROFILE_FLAGS = {
  format: { type: 'string' },
  qos: { type: 'string' },
  kind: { type: 'string' },
  action: { type: 'string' },
  'trust-domain': { type: 'string' },
  'selector-label': { type: 'string' },
  'assume-service-accounts': { type: 'boolean' },
} as const;

/** What the commands read: the stored states' keys and one service's profile view. */
export interface ProfileSource {
  keys(): Promise<string[]>;
  view(key: string): Promise<ProfileView | undefined>;
}

function oneOf<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const v = typeof value === 'string' ? value : JSON.stringify(value);
  if (!(allowed as readonly string[]).includes(v)) throw new MeshwatchError('MW_USAGE', `--${flag} must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function exportOptionsOf(values: CommonFlags['values']): ExportOptions {
  const o: ExportOptions = {
    ...DEFAULT_EXPORT,
    qos: oneOf('qos', values.qos, ['guaranteed', 'burstable', 'both'], DEFAULT_EXPORT.qos),
    workloadKind: oneOf('kind', values.kind, ['Deployment', 'StatefulSet', 'DaemonSet'], DEFAULT_EXPORT.workloadKind),
    istioAction: oneOf('action', values.action, ['audit', 'allow'], 'audit') === 'allow' ? 'ALLOW' : 'AUDIT',
    assumeServiceAccounts: values['assume-service-accounts'] === true,
  };
  if (typeof values['trust-domain'] === 'string') o.trustDomain = values['trust-domain'];
  if (typeof values['selector-label'] === 'string') o.selectorLabel = values['selector-label'];
  return o;
}

/** The manifests of one format as YAML (several documents separated by `---`). */
export function exportYaml(view: ProfileView, format: ExportFormat, o: ExportOptions): string {
  const rec = view.recommendation;
  const docs: unknown[] =
    format === 'k8s'
      ? exportK8s(view.service, rec, o)
      : format === 'istio'
        ? [exportIstio(view.service, rec, o)]
        : format === 'networkpolicy'
          ? [exportNetworkPolicy(view.service, rec, o)]
          : [exportProfile(view.service, rec)];
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

async function viewOf(source: ProfileSource, key: string | undefined): Promise<ProfileView> {
  if (!key) throw new MeshwatchError('MW_USAGE', 'profiles: give a service, namespace/name');
  const k = serviceKey(parseServiceKey(key));
  const view = await source.view(k);
  if (!view) throw new MeshwatchError('MW_USAGE', `profiles: no learned profile for ${k}`);
  return view;
}

/** Runs one `profiles` sub-command against a source; output goes to `out`. */
export async function runProfiles(source: ProfileSource, flags: CommonFlags, out: (text: string) => void): Promise<number> {
  const [sub, key] = flags.positionals;
  switch (sub) {
    case 'list': {
      for (const k of await source.keys()) {
        const v = await source.view(k);
        if (!v) continue;
        const r = v.recommendation;
        const days = (r.lastWindowStart - r.firstWindowStart) / 86_400_000;
        out(`${k}\twindows=${r.windows}\tdays=${days.toFixed(2)}\tcontainers=${r.containers.length}\tpeers=${r.peers.length}\n`);
      }
      return 0;
    }
    case 'show':
      out(JSON.stringify(await viewOf(source, key), null, 2) + '\n');
      return 0;
    case 'recommend': {
      const keys = key ? [serviceKey(parseServiceKey(key))] : await source.keys();
      for (const k of keys) {
        const v = key ? await viewOf(source, k) : await source.view(k);
        if (!v) continue;
        const { containers, traffic } = v.recommendation;
        out(JSON.stringify({ service: v.service, containers, traffic }) + '\n');
      }
      return 0;
    }
    case 'export': {
      const format = oneOf('format', flags.values.format, EXPORT_FORMATS, 'profile');
      if (flags.values.format === undefined) throw new MeshwatchError('MW_USAGE', `profiles export: --format ${EXPORT_FORMATS.join('|')}`);
      out(exportYaml(await viewOf(source, key), format, exportOptionsOf(flags.values)));
      return 0;
    }
    case undefined:
    default:
      throw new MeshwatchError('MW_USAGE', `profiles: expected list, show, recommend or export, got '${sub ?? ''}'`);
  }
}

/** The `profiles` command over the configured Redis. */
export async function profilesCommand(config: Readonly<Config>, flags: CommonFlags): Promise<number> {
  const store = new RedisStateStore(redisStoreOptionsOf(config));
  try {
    await store.connect();
    const source: ProfileSource = {
      keys: () => store.serviceKeys(),
      view: async (k) => {
        const s = (await store.load([k])).get(k);
        return s ? profileView(s) : undefined;
      },
    };
    let buf = '';
    const code = await runProfiles(source, flags, (t) => {
      buf += t;
    });
    process.stdout.write(buf);
    return code;
  } finally {
    await store.close();
  }
}
