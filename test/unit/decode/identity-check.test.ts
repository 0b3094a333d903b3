/**
 * Identity validation, in one place (`validateServiceId`) and where each decoder names a service:
 * empty parts are MW_DECODE_NO_IDENTITY; parts over 253 UTF-8 bytes, with control characters or
 * lone surrogates are MW_DECODE_BAD_IDENTITY with the field path and a bounded excerpt; an invalid
 * Envoy PEER is dropped and the request kept; the windows-topic codec refuses invalid identities.
 */
import { describe, expect, it, test } from 'vitest';
import { decodeAccessLog } from '../../../src/core/decode/envoy.js';
import { MAX_IDENTITY_PART_BYTES, validateServiceId } from '../../../src/core/decode/identity.js';
import { decode } from '../../../src/core/decode/index.js';
import { type ServiceId } from '../../../src/core/model.js';
import { edgeKey, emptyPartial } from '../../../src/core/window/partial.js';
import { parsePartial, parseWindowsMessage } from '../../../src/core/window/partial-codec.js';
import { fixture } from './fixtures.js';

const opts = { hint: 'auto', maxBytes: 1_000_000 } as const;
const LONG = 'a'.repeat(MAX_IDENTITY_PART_BYTES + 1);
const AT_LIMIT = 'a'.repeat(MAX_IDENTITY_PART_BYTES);

describe('validateServiceId', () => {
  test.each([
    { what: 'a plain name', id: { namespace: 'shop', name: 'cart' } },
    { what: 'a cluster', id: { namespace: 'shop', name: 'cart', cluster: 'eu-1' } },
    { what: 'punctuation the key escapes', id: { namespace: 'shop/cart', name: '{x}:y|z%' } },
    { what: 'spaces', id: { namespace: 'shop', name: 'my cart' } },
    { what: 'unicode', id: { namespace: '日本', name: 'café🛒', cluster: 'région' } },
    { what: '253 bytes', id: { namespace: AT_LIMIT, name: AT_LIMIT, cluster: AT_LIMIT } },
    { what: '253 bytes of 2-byte characters', id: { namespace: 'shop', name: `${'é'.repeat(126)}a` } },
  ] satisfies { what: string; id: ServiceId }[])('accepts $what', ({ id }) => {
    expect(validateServiceId(id, 'service')).toStrictEqual({ ok: true, value: id });
  });

  test.each([
    { what: 'empty name', id: { namespace: 'shop', name: '' }, code: 'MW_DECODE_NO_IDENTITY', reason: 'service.name: empty' },
    { what: 'empty namespace', id: { namespace: '', name: 'x' }, code: 'MW_DECODE_NO_IDENTITY', reason: 'service.namespace: empty' },
    {
      what: 'empty cluster',
      id: { namespace: 's', name: 'x', cluster: '' },
      code: 'MW_DECODE_NO_IDENTITY',
      reason: 'service.cluster: empty',
    },
    {
      what: '254-byte name',
      id: { namespace: 's', name: LONG },
      code: 'MW_DECODE_BAD_IDENTITY',
      reason: 'service.name: longer than 253 bytes',
    },
    {
      what: '254 bytes in 127 2-byte characters',
      id: { namespace: 's', name: 'é'.repeat(127) },
      code: 'MW_DECODE_BAD_IDENTITY',
      reason: 'service.name: longer than 253 bytes',
    },
    {
      what: '254-byte namespace',
      id: { namespace: LONG, name: 'x' },
      code: 'MW_DECODE_BAD_IDENTITY',
      reason: 'service.namespace: longer than 253 bytes',
    },
    {
      what: '254-byte cluster',
      id: { namespace: 's', name: 'x', cluster: LONG },
      code: 'MW_DECODE_BAD_IDENTITY',
      reason: 'service.cluster: longer than 253 bytes',
    },
    { what: 'NUL', id: { namespace: 's', name: 'a\u0000b' }, code: 'MW_DECODE_BAD_IDENTITY', reason: 'service.name: control character' },
    {
      what: 'newline',
      id: { namespace: 's\n', name: 'x' },
      code: 'MW_DECODE_BAD_IDENTITY',
      reason: 'service.namespace: control character',
    },
    { what: 'DEL', id: { namespace: 's', name: 'x\u007f' }, code: 'MW_DECODE_BAD_IDENTITY', reason: 'control character' },
    { what: 'C1 control', id: { namespace: 's', name: 'x\u0085' }, code: 'MW_DECODE_BAD_IDENTITY', reason: 'control character' },
    { what: 'lone surrogate', id: { namespace: 's', name: 'x\ud800' }, code: 'MW_DECODE_BAD_IDENTITY', reason: 'lone surrogate' },
  ] satisfies { what: string; id: ServiceId; code: string; reason: string }[])('rejects $what', ({ id, code, reason }) => {
    const r = validateServiceId(id, 'service');
    expect(r.ok ? undefined : r.error.code).toBe(code);
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });

  it('quotes a bounded excerpt of a long part', () => {
    const r = validateServiceId({ namespace: 's', name: 'x'.repeat(100_000) }, 'service');
    expect(r.ok ? '' : r.error.reason).toMatch(/^service\.name: longer than 253 bytes: "x{64}…"$/);
  });

  it('escapes control characters in the excerpt', () => {
    const r = validateServiceId({ namespace: 's', name: 'a\u001b[31mb' }, 'service');
    expect(r.ok ? '' : r.error.reason).toContain('"a\\u001b[31mb"');
  });
});

const sampleLine = (service: unknown): string => JSON.stringify({ ts: 1741944411472, service, metric: 'queue_depth', value: 1 });

describe('canonical samples', () => {
  test.each([
    { what: 'string form with a cluster', service: 'eu-1:shop/cart', id: { namespace: 'shop', name: 'cart', cluster: 'eu-1' } },
    { what: 'string form with an escaped slash', service: 'shop%2Fcart/x', id: { namespace: 'shop/cart', name: 'x' } },
    { what: 'object form taken literally', service: { namespace: 'shop%2Fcart', name: 'x' }, id: { namespace: 'shop%2Fcart', name: 'x' } },
    {
      what: 'unicode',
      service: { namespace: '日本', name: 'café🛒', cluster: 'eu-1' },
      id: { namespace: '日本', name: 'café🛒', cluster: 'eu-1' },
    },
  ])('$what names $id', ({ service, id }) => {
    const r = decode(sampleLine(service), opts);
    expect(r.ok && r.value.observations[0]?.kind === 'sample' ? r.value.observations[0].sample.service : r).toStrictEqual(id);
  });

  test.each([
    { what: 'a name over 253 bytes', service: { namespace: 'shop', name: LONG }, reason: 'service.name: longer than 253 bytes' },
    { what: 'a control character', service: 'shop/cart\u0007', reason: 'service.name: control character' },
    { what: 'a cluster over 253 bytes', service: { namespace: 'shop', name: 'cart', cluster: LONG }, reason: 'service.cluster: longer' },
  ])('rejects $what as MW_DECODE_BAD_IDENTITY', ({ service, reason }) => {
    const r = decode(sampleLine(service), opts);
    expect(r.ok ? undefined : [r.error.code, r.error.decoder]).toStrictEqual(['MW_DECODE_BAD_IDENTITY', 'sample']);
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });
});

describe('cAdvisor containers', () => {
  const withLabels = (labels: Record<string, string>): string => {
    const m = JSON.parse(fixture('cadvisor/containerd-app.json')) as { container_labels: Record<string, string> };
    m.container_labels = { ...m.container_labels, ...labels };
    return JSON.stringify(m);
  };

  test.each([
    { what: 'a workload label over 253 bytes', labels: { app: LONG }, reason: '.name: longer than 253 bytes' },
    {
      what: 'a namespace with a newline',
      labels: { 'io.kubernetes.pod.namespace': 'book\ninfo' },
      reason: '.namespace: control character',
    },
  ])('rejects $what as MW_DECODE_BAD_IDENTITY', ({ labels, reason }) => {
    const r = decode(withLabels(labels), opts);
    expect(r.ok ? undefined : [r.error.code, r.error.decoder]).toStrictEqual(['MW_DECODE_BAD_IDENTITY', 'cadvisor']);
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });

  it('rejects an invalid opts.cluster stamped on the container', () => {
    const r = decode(fixture('cadvisor/containerd-app.json'), { ...opts, cluster: 'eu\u00001' });
    expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_BAD_IDENTITY');
  });
});

describe('Envoy access logs', () => {
  const log = (fields: Record<string, unknown>): Record<string, unknown> => ({
    start_time: '2025-03-14T09:27:10.250Z',
    response_code: 200,
    ...fields,
  });
  const pod = { namespace: 'shop', pod: 'checkout-7d9f8b6c5d-q2w4e' };

  test.each([
    { what: 'a host name over 253 bytes', fields: { upstream_cluster: 'PassthroughCluster', authority: `${LONG}.example.com` } },
    { what: 'a host with a control character', fields: { upstream_cluster: 'PassthroughCluster', authority: 'evil\u0000.example.com' } },
    { what: 'a plain cluster name over 253 bytes', fields: { upstream_cluster: `c${LONG}` } },
  ])('drops an invalid peer ($what) and keeps the request', ({ fields }) => {
    const r = decodeAccessLog(log(fields), '', pod, undefined);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.service).toStrictEqual({ namespace: 'shop', name: 'checkout' });
    expect(r.value.direction).toBe('outbound');
    expect(r.value.peer).toBeUndefined();
  });

  it('keeps a valid peer with unusual characters', () => {
    const r = decodeAccessLog(log({ upstream_cluster: 'my{cluster}:v1|x' }), '', pod, undefined);
    expect(r.ok ? r.value.peer : r).toStrictEqual({ namespace: 'external', name: 'my{cluster}:v1|x' });
  });

  test.each([
    { what: 'a pod namespace over 253 bytes', p: { namespace: LONG, pod: 'checkout-0' }, reason: '(service).namespace: longer' },
    { what: 'a workload label with a tab', p: { ...pod, labels: { app: 'check\tout' } }, reason: '(service).name: control character' },
  ])('rejects an invalid emitting service ($what)', ({ p, reason }) => {
    const r = decodeAccessLog(log({ upstream_cluster: 'outbound|80||a.b.svc.cluster.local' }), '', p, undefined);
    expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_BAD_IDENTITY');
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });

  it('rejects an invalid service through decode(), naming the decoder and the field path', () => {
    const envelope = JSON.parse(fixture('envoy/vector.json')) as { kubernetes: { pod_namespace: string } };
    envelope.kubernetes.pod_namespace = LONG;
    const r = decode(JSON.stringify(envelope), opts);
    expect(r.ok ? undefined : [r.error.code, r.error.decoder]).toStrictEqual(['MW_DECODE_BAD_IDENTITY', 'envoy']);
    expect(r.ok ? '' : r.error.reason).toContain('message.(service).namespace: longer than 253 bytes');
  });
});

describe('windows-topic codec', () => {
  const partial = (service: ServiceId, peer?: ServiceId): string => {
    const p = emptyPartial(service, 0, 10_000);
    if (peer) p.edges[edgeKey('outbound', peer)] = { direction: 'outbound', peer, requests: 1, errors: 0, bytes: 1 };
    return JSON.stringify(p);
  };

  it('reads back a clustered service with unusual characters', () => {
    const id = { namespace: 'shop/cart', name: '{x}:y', cluster: 'eu-1' };
    const r = parsePartial(partial(id, { namespace: 'external', name: 'api.stripe.com', cluster: 'eu-1' }));
    expect(r.ok ? r.value.service : r).toStrictEqual(id);
  });

  test.each([
    { what: 'a key without the peer cluster', key: 'out:shop/db', peer: { namespace: 'shop', name: 'db', cluster: 'eu-1' } },
    { what: 'an unescaped key', key: 'out:shop/cart/x', peer: { namespace: 'shop', name: 'cart/x' } },
    { what: 'the wrong direction', key: 'in:shop/db', peer: { namespace: 'shop', name: 'db' } },
  ])('refuses an edge under $what as MW_DECODE_SCHEMA', ({ key, peer }) => {
    const p = emptyPartial({ namespace: 'shop', name: 'cart' }, 0, 10_000);
    p.edges[key] = { direction: 'outbound', peer, requests: 1, errors: 0, bytes: 1 };
    const r = parsePartial(JSON.stringify(p));
    expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_SCHEMA');
    expect(r.ok ? '' : r.error.reason).toContain(`edges[${JSON.stringify(key)}]: key does not match its direction and peer`);
  });

  test.each([
    {
      what: 'a service name over 253 bytes',
      text: partial({ namespace: 'shop', name: LONG }),
      reason: 'window partial: service.name: longer',
    },
    {
      what: 'a service cluster with a control character',
      text: partial({ namespace: 'shop', name: 'cart', cluster: 'eu\u00011' }),
      reason: 'window partial: service.cluster: control character',
    },
    {
      what: 'an edge peer over 253 bytes',
      text: partial({ namespace: 'shop', name: 'cart' }, { namespace: 'external', name: LONG }),
      reason: '].peer.name: longer than 253 bytes',
    },
  ])('refuses $what as MW_DECODE_BAD_IDENTITY', ({ text, reason }) => {
    for (const r of [parsePartial(text), parseWindowsMessage(text)]) {
      expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_BAD_IDENTITY');
      expect(r.ok ? '' : r.error.reason).toContain(reason);
    }
  });
});

describe('cAdvisor container keys', () => {
  it('escapes their parts, so a slash in a pod or container name cannot make two containers one', () => {
    const msg = (pod: string, ctr: string): string => {
      const m = JSON.parse(fixture('cadvisor/containerd-app.json')) as { container_labels: Record<string, string> };
      m.container_labels = { ...m.container_labels, 'io.kubernetes.pod.name': pod, 'io.kubernetes.container.name': ctr, app: 'reviews' };
      return JSON.stringify(m);
    };
    const key = (text: string): string | undefined => {
      const r = decode(text, opts);
      const o = r.ok ? r.value.observations[0] : undefined;
      return o?.kind === 'container' ? o.stats.container : undefined;
    };
    expect(key(msg('reviews-0', 'app'))).toBe('bookinfo/reviews-0/app');
    expect(key(msg('x/y', 'z'))).toBe('bookinfo/x%2Fy/z');
    expect(key(msg('x', 'y/z'))).toBe('bookinfo/x/y%2Fz');
  });
});
