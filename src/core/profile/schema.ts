/**
 * The declared resource profile (`apiVersion: meshwatch.io/v1`, `kind: ResourceProfile`): the
 * contract one workload is held to. It reads like a Kubernetes object: `metadata` names the
 * workload (cluster?, namespace, name); `spec` holds per-container resources (Kubernetes
 * quantities), traffic budgets, the allowed inbound and outbound peers, the mode
 * (`learn` | `enforce`) and per-metric sensitivity.
 * This zod schema is the source of truth; schemas/profile.schema.json is generated from it
 * (npm run schemas) and a test fails when the two differ. Every object is strict: an unknown
 * field is an error, never ignored. Checks JSON Schema cannot express (request ≤ limit, unique
 * container names) are refinements here and hold for every parsed profile.
 */
import { serviceKey } from '../model.js';
import { z } from 'zod';
import { WINDOW_METRICS } from '../model.js';
import { QUANTITY_MAX_CHARS, QUANTITY_PATTERN, parseQuantity } from './quantity.js';

export const PROFILE_API_VERSION = 'meshwatch.io/v1';
export const PROFILE_KIND = 'ResourceProfile';
export const PROFILE_MODES = ['learn', 'enforce'] as const;
export const SENSITIVITIES = ['off', 'low', 'medium', 'high'] as const;
export const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'] as const;

/** RFC 1123 label (Kubernetes namespace). */
const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an RFC 1123 label (lower-case letters, digits, -)');
/** RFC 1123 subdomain (Kubernetes object name). */
const dnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be an RFC 1123 subdomain');
const clusterName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be letters, digits, -, _ or .');

export const WorkloadRefSchema = z
  .object({
    cluster: clusterName.optional().describe('Cluster name; absent means the cluster meshwatch runs for.'),
    namespace: dnsLabel,
    name: dnsSubdomain.describe('Workload (Deployment, StatefulSet, …) name, as meshwatch names the service.'),
  })
  .strict();

const quantity = z
  .union([
    z.string().max(QUANTITY_MAX_CHARS).regex(QUANTITY_PATTERN, 'must be a Kubernetes quantity such as 250m, 1.5, 512Mi'),
    z.number().nonnegative().finite(),
  ])
  // Only the value is judged here (the pattern has spoken for the form): 1e400 matches but is not finite.
  .refine((q) => typeof q !== 'string' || !QUANTITY_PATTERN.test(q) || parseQuantity(q).ok, 'must be a finite quantity')
  .describe('Kubernetes quantity: CPU in cores (250m = 0.25), memory and storage in bytes (512Mi, 1G).');

const resourceList = z.object({ cpu: quantity.optional(), memory: quantity.optional(), 'ephemeral-storage': quantity.optional() }).strict();

const quantityValue = (q: string | number): number => {
  const parsed = parseQuantity(q);
  return parsed.ok ? parsed.value : Number.NaN;
};

export const ContainerProfileSchema = z
  .object({
    name: dnsLabel.describe('Container name within the pod.'),
    resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).strict(),
  })
  .strict()
  .superRefine((container, ctx) => {
    const { requests, limits } = container.resources;
    for (const resource of RESOURCE_NAMES) {
      const request = requests?.[resource];
      const limit = limits?.[resource];
      if (request === undefined || limit === undefined) continue;
      if (quantityValue(request) > quantityValue(limit)) {
        ctx.addIssue({
          code: 'custom',
          path: ['resources', 'requests', resource],
          message: `request ${String(request)} exceeds limit ${String(limit)}`,
        });
      }
    }
  });

export const TrafficBudgetSchema = z
  .object({
    requestsPerS: z.number().nonnegative().finite().optional().describe('Most inbound requests per second.'),
    egressBytesPerS: z.number().nonnegative().finite().optional().describe('Most bytes per second sent to peers.'),
    errorRatio: z.number().min(0).max(1).optional().describe('Highest share of 5xx responses, in [0, 1].'),
  })
  .strict();

const httpMethod = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Z][A-Z-]*$/, 'must be an upper-case HTTP method (GET, POST, …)');
const pathPrefix = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^\/[\x21-\x7e]*$/, 'must start with / and hold no spaces or control characters');
const principal = z
  .string()
  .max(512)
  .regex(
    /^(spiffe:\/\/)?[^/\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/,
    'must be <trust-domain>/ns/<namespace>/sa/<service-account>, optionally with spiffe://',
  );

export const PeerRuleSchema = z
  .object({
    workload: WorkloadRefSchema.describe('The workload on the other side of the edge.'),
    principal: principal.optional().describe('Its mTLS (SPIFFE) identity, as Istio writes it.'),
    serviceAccount: dnsSubdomain.optional().describe('Its Kubernetes service account.'),
    ports: z.array(z.int().min(1).max(65535)).max(64).optional().describe('Destination ports; absent means any.'),
    methods: z.array(httpMethod).max(16).optional().describe('HTTP methods; absent means any.'),
    pathPrefixes: z.array(pathPrefix).max(64).optional().describe('HTTP path prefixes; absent means any.'),
  })
  .strict();

export const ProfileSpecSchema = z
  .object({
    mode: z.enum(PROFILE_MODES).describe('learn: observe and recommend only; enforce: breaches raise alerts.'),
    containers: z
      .array(ContainerProfileSchema)
      .max(64)
      .optional()
      .superRefine((containers, ctx) => {
        const seen = new Set<string>();
        containers?.forEach((c, i) => {
          if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate container "${c.name}"` });
          seen.add(c.name);
        });
      }),
    traffic: TrafficBudgetSchema.optional(),
    peers: z
      .object({ inbound: z.array(PeerRuleSchema).max(1024).optional(), outbound: z.array(PeerRuleSchema).max(1024).optional() })
      .strict()
      .optional()
      .describe('Allowed callers (inbound) and callees (outbound); absent means not declared.'),
    sensitivity: z
      .partialRecord(z.enum(WINDOW_METRICS), z.enum(SENSITIVITIES))
      .optional()
      .describe('Per window metric (cpu_cores, requests_per_s, …): off, low, medium or high.'),
  })
  .strict();

export const ResourceProfileSchema = z
  .object({
    apiVersion: z.literal(PROFILE_API_VERSION),
    kind: z.literal(PROFILE_KIND),
    metadata: WorkloadRefSchema,
    spec: ProfileSpecSchema,
  })
  .strict();

export type ResourceProfile = z.infer<typeof ResourceProfileSchema>;
export type WorkloadRef = z.infer<typeof WorkloadRefSchema>;
export type PeerRule = z.infer<typeof PeerRuleSchema>;
export type ProfileMode = (typeof PROFILE_MODES)[number];
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** The registry key of a profile's workload: the service key every stage uses (`[cluster:]namespace/name`, escaped). */
export const workloadKey = (w: WorkloadRef): string =>
  serviceKey(
    w.cluster === undefined ? { namespace: w.namespace, name: w.name } : { cluster: w.cluster, namespace: w.namespace, name: w.name },
  );
