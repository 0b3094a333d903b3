/**
 * meshwatch's own telemetry, started once by the composition root (src/cli) before any
 * Counters exist: the OpenTelemetry Node SDK with
 * - a Prometheus reader that meshwatch's HTTP server serves on `/metrics` (no second port);
 * - an OTLP metrics reader when `OTEL_METRICS_EXPORTER` names `otlp` (endpoint, headers and
 *   interval from the standard `OTEL_EXPORTER_OTLP_*` / `OTEL_METRIC_EXPORT_*` variables);
 * - traces only when `OTEL_TRACES_EXPORTER` is set (not `none`): the SDK builds the exporters it
 *   names. Unset, nothing is exported and nothing retries against a collector that is not there.
 * `OTEL_SDK_DISABLED=true` turns all of it off (`/metrics` then answers 503).
 *
 * Label cardinality is bounded where the counters are defined (src/telemetry/counters.ts).
 *
 * The resource (Prometheus `target_info`, every OTLP export) describes the process without its
 * command line: `--redis-url redis://:password@…` or `--set …routingKey=…` would publish a
 * secret to every scraper. `OTEL_NODE_RESOURCE_DETECTORS` is not read.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK, resources } from '@opentelemetry/sdk-node';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

export interface Telemetry {
  /** Serves the Prometheus text exposition of every meshwatch instrument. */
  metricsHandler(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

const listOf = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/** The process detector's attributes less the command line (which may carry secrets given as flags). */
const processWithoutCommandLine: resources.ResourceDetector = {
  detect(config) {
    const attributes = { ...resources.processDetector.detect(config).attributes };
    delete attributes['process.command_args'];
    delete attributes['process.command_line'];
    return { attributes };
  },
};

/** `env` is the process environment (src/config is its only other reader; these are OTel's own variables). */
export function startTelemetry(env: Readonly<Record<string, string | undefined>>): Telemetry {
  const disabled = listOf(env.OTEL_SDK_DISABLED).includes('true');
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: IMetricReader[] = [prometheus];
  if (listOf(env.OTEL_METRICS_EXPORTER).includes('otlp')) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() }));
  }
  const traces = listOf(env.OTEL_TRACES_EXPORTER).filter((e) => e !== 'none');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'meshwatch',
    autoDetectResources: true,
    resourceDetectors: [
      resources.envDetector,
      resources.hostDetector,
      resources.osDetector,
      resources.serviceInstanceIdDetector,
      processWithoutCommandLine,
    ],
    metricReaders: readers,
    // Empty lists: no exporter unless the environment asks for one (the SDK's default is OTLP).
    ...(traces.length > 0 ? {} : { spanProcessors: [] }),
    ...(listOf(env.OTEL_LOGS_EXPORTER).some((e) => e !== 'none') ? {} : { logRecordProcessors: [] }),
    instrumentations: [],
  });
  if (!disabled) sdk.start();
  return {
    metricsHandler(req, res) {
      if (disabled) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('telemetry disabled (OTEL_SDK_DISABLED)\n');
        return;
      }
      prometheus.getMetricsRequestHandler(req, res);
    },
    shutdown: () => (disabled ? Promise.resolve() : sdk.shutdown()),
  };
}
