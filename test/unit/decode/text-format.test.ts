import { describe, expect, test } from 'vitest';
import { decode } from '../../../src/core/decode/index.js';
import {
  ENVOY_DEFAULT_FORMAT,
  ISTIO_DEFAULT_FORMAT,
  MAX_LINE_CHARS,
  compileTextFormat,
  matchTextLine,
} from '../../../src/core/decode/text-format.js';
import { type DecodeOptions } from '../../../src/core/decode/types.js';
import { fixture } from './fixtures.js';

const opts: DecodeOptions = { hint: 'auto', maxBytes: 1024 * 1024 };
const compiled = (f: string) => {
  const r = compileTextFormat(f);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const CUSTOM =
  '%START_TIME% %ENVIRONMENT(POD_NAME)% %ENVIRONMENT(POD_NAMESPACE)% %REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION% %UPSTREAM_CLUSTER_RAW%\n';

describe('compiling a format', () => {
  test.each([
    ['Istio default', ISTIO_DEFAULT_FORMAT, 24],
    ['Envoy default', ENVOY_DEFAULT_FORMAT, 15],
    ['custom with the pod', CUSTOM, 8],
    ['%% is a literal percent', '%START_TIME% 100%% %DURATION%', 2],
    ['operator with a max length', '%START_TIME% %REQ(USER-AGENT):10%', 2],
  ])('%s: %s operators', (_name, format, n) => {
    expect(compiled(format).operators).toHaveLength(n);
  });

  test.each([
    ['no operator', 'just text', 'no Envoy command operator'],
    ['no start time', '%DURATION% %RESPONSE_CODE%', 'no %START_TIME%'],
    ['adjacent operators', '%START_TIME%%DURATION%', 'cannot be told apart'],
    ['unterminated operator', '%START_TIME% %DURATION', 'not an Envoy command operator'],
    ['lower-case operator', '%START_TIME% %duration%', 'not an Envoy command operator'],
    ['too long', `%START_TIME% ${'x'.repeat(5000)}`, 'longer than 4096'],
    ['too many operators', `%START_TIME%${' %DURATION%'.repeat(70)}`, 'more than 64 operators'],
  ])('refused: %s', (_name, format, said) => {
    const r = compileTextFormat(format);
    expect(r.ok ? undefined : [r.error.code, r.error.reason.includes(said)]).toStrictEqual(['MW_CONFIG_INVALID', true]);
  });

  test('operators map to the keys of the Istio JSON format', () => {
    const m = matchTextLine(fixture('text/istio-inbound.txt'), compiled(ISTIO_DEFAULT_FORMAT));
    expect(m.ok && { ...m.fields }).toMatchObject({
      start_time: '2023-05-02T01:45:04.158Z',
      method: 'GET',
      path: '/headers',
      protocol: 'HTTP/1.1',
      response_code: '200',
      response_flags: '-',
      authority: 'httpbin:8000',
      upstream_cluster: 'inbound|80||',
      requested_server_name: 'outbound_.8000_._.httpbin.istio-demo.svc.cluster.local',
      route_name: 'default',
    });
  });
});

describe('text access logs through decode', () => {
  test.each([
    [
      'Istio inbound (SNI names the service)',
      fixture('text/istio-inbound.txt'),
      {
        service: { namespace: 'istio-demo', name: 'httpbin' },
        direction: 'inbound',
        status: 200,
        isError: false,
        durationMs: 2,
        bytesSent: 508,
      },
    ],
    [
      'Istio TCP inbound',
      fixture('text/istio-tcp-inbound.txt'),
      {
        service: { namespace: 'db', name: 'postgres' },
        direction: 'inbound',
        protocol: 'tcp',
        status: 0,
        bytesReceived: 1095,
        bytesSent: 4512,
      },
    ],
    [
      'Fluent Bit line with quotes in the User-Agent',
      fixture('text/fluent-bit-istio-text.json'),
      {
        service: { namespace: 'istio-demo', name: 'sleep' },
        direction: 'outbound',
        peer: { namespace: 'istio-demo', name: 'httpbin' },
        status: 200,
        durationMs: 3,
      },
    ],
    [
      'Vector record of the 1.23 outbound failure',
      JSON.stringify({
        message: fixture('text/istio-outbound-1.23.txt'),
        kubernetes: { pod_name: 'sleep-9454cc476-2rlvs', pod_namespace: 'istio-demo' },
      }),
      {
        service: { namespace: 'istio-demo', name: 'sleep' },
        peer: { namespace: 'istio-demo', name: 'httpbin' },
        status: 503,
        isError: true,
      },
    ],
    [
      'OTel raw string literal of an Istio text line (trailing newline)',
      JSON.stringify(`${fixture('text/istio-inbound.txt')}\n`),
      { service: { namespace: 'istio-demo', name: 'httpbin' }, direction: 'inbound' },
    ],
  ])('%s', (_name, text, expected) => {
    const r = decode(text, opts);
    expect(r.ok ? r.value.observations : r.error).toMatchObject([{ kind: 'request', request: expected }]);
  });

  test('a custom format naming its pod needs no shipper', () => {
    const r = decode(fixture('text/custom-with-pod.txt'), { ...opts, textFormats: [compiled(CUSTOM)] });
    expect(r.ok ? r.value.observations : r.error).toMatchObject([
      {
        request: {
          service: { namespace: 'bookinfo', name: 'reviews-v1' },
          direction: 'outbound',
          peer: { namespace: 'bookinfo', name: 'ratings' },
          status: 200,
          durationMs: 12,
        },
      },
    ]);
  });

  test.each([
    [
      'an outbound line without a pod says what to add to the format',
      fixture('text/envoy-default.txt'),
      'MW_DECODE_NO_IDENTITY',
      '%ENVIRONMENT(POD_NAME)% and %ENVIRONMENT(POD_NAMESPACE)%',
    ],
    [
      'a line cut after the status',
      '[2023-05-02T01:45:04.158Z] "GET /headers HTTP/1.1" 200',
      'MW_DECODE_TEXT_MISMATCH',
      'after %RESPONSE_CODE%',
    ],
    [
      'a bad status inside a matching line',
      fixture('text/istio-inbound.txt').replace('" 200 -', '" 2x0 -'),
      'MW_DECODE_SCHEMA',
      'response_code',
    ],
    [
      'a bad start time',
      fixture('text/istio-inbound.txt').replace('2023-05-02T01', '2023-13-02T01'),
      'MW_DECODE_BAD_TIMESTAMP',
      'start_time',
    ],
    ['a line over the bound', `[2023-05-02T01:45:04.158Z] "${'x'.repeat(MAX_LINE_CHARS)}`, 'MW_DECODE_TRUNCATED', 'longer than'],
  ])('%s', (_name, text, code, said) => {
    const r = decode(text, opts);
    expect(r.ok ? undefined : [r.error.code, r.error.reason.includes(said)]).toStrictEqual([code, true]);
  });

  test("Envoy's own log lines in a shipper record stay ignored", () => {
    const line = '[2025-03-14 09:26:51.457][15][warning][config] StreamAggregatedResources gRPC config stream closed';
    expect(decode(JSON.stringify({ log: line }), opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'envoy', observations: [], ignored: 1 },
    });
  });

  test('matching is linear: a hostile line of many separators is refused quickly, not backtracked', () => {
    const hostile = `[${'] "'.repeat(20_000)}`;
    const r = matchTextLine(hostile, compiled(ISTIO_DEFAULT_FORMAT));
    expect(r.ok).toBe(false);
  });
});
