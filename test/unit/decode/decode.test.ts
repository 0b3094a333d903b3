import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type DecodeOptions, type DecoderHint, decode } from '../../../src/core/decode/index.js';
import { looksCutOff } from '../../../src/core/decode/json-text.js';
import { fixture } from './fixtures.js';

const auto: DecodeOptions = { hint: 'auto', maxBytes: 1_000_000 };
const errorOf = (text: string, opts: DecodeOptions = auto): { code: string; decoder: string } | undefined => {
  const r = decode(text, opts);
  return r.ok ? undefined : { code: r.error.code, decoder: r.error.decoder };
};

const ALL_FIXTURES = [
  ['cadvisor', 'cadvisor/containerd-app.json'],
  ['cadvisor', 'cadvisor/root.json'],
  ['envoy', 'envoy/raw-typed-inbound.json'],
  ['envoy', 'envoy/raw-legacy-inbound.json'],
  ['envoy', 'envoy/fluent-bit-cri.json'],
  ['envoy', 'envoy/vector.json'],
  ['envoy', 'envoy/otlp-filelog.json'],
  ['envoy', 'envoy/otel-raw.json'],
] as const;

describe('dispatch', () => {
  test.each(ALL_FIXTURES)('auto recognises %s in %s', (decoder, file) => {
    const r = decode(fixture(file), auto);
    expect(r.ok && r.value.decoder).toBe(decoder);
  });

  test.each(ALL_FIXTURES)('hint %s decodes %s like auto does', (decoder, file) => {
    expect(decode(fixture(file), { ...auto, hint: decoder })).toStrictEqual(decode(fixture(file), auto));
  });

  test.each([
    ['envoy', 'cadvisor/containerd-app.json'],
    ['sample', 'cadvisor/containerd-app.json'],
    ['cadvisor', 'envoy/fluent-bit-cri.json'],
    ['cadvisor', 'sample/canonical.ndjson'],
  ] as const)('hint %s on %s -> UNKNOWN_FORMAT from that decoder', (hint, file) => {
    const text = fixture(file).split('\n')[0] ?? '';
    expect(errorOf(text, { ...auto, hint })).toStrictEqual({ code: 'MW_DECODE_UNKNOWN_FORMAT', decoder: hint });
  });
});

describe('message-level errors', () => {
  const big = fixture('cadvisor/containerd-app.json');

  test.each<[string, DecoderHint, number, string | undefined]>([
    ['over the limit (auto)', 'auto', big.length - 1, 'auto'],
    ['over the limit (hinted)', 'cadvisor', 100, 'cadvisor'],
    ['exactly at the limit', 'auto', big.length, undefined],
  ])('size: %s', (_name, hint, maxBytes, decoder) => {
    expect(errorOf(big, { hint, maxBytes })).toStrictEqual(decoder === undefined ? undefined : { code: 'MW_DECODE_TOO_LARGE', decoder });
  });

  test('a huge message is rejected before parsing, even when it is not JSON', () => {
    const r = decode('x'.repeat(2_000_001), { hint: 'auto', maxBytes: 2_000_000 });
    expect(r).toStrictEqual({
      ok: false,
      error: {
        code: 'MW_DECODE_TOO_LARGE',
        reason: '(message): 2000001 characters, more than 2000000 bytes of UTF-8 (the limit)',
        decoder: 'auto',
      },
    });
  });

  test.each([
    ['not JSON at all', 'GET /productpage HTTP/1.1'],
    ['extra closing brace', '{"ts":1,"metric":"m"}}'],
    ['mismatched bracket before the end', '{"a":[1,2}'],
    ['trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['empty message', ''],
    ['whitespace only', ' \n '],
  ])('INVALID_JSON: %s', (_name, text) => {
    expect(errorOf(text)).toStrictEqual({ code: 'MW_DECODE_INVALID_JSON', decoder: 'auto' });
  });

  test('TEXT_MISMATCH: an Envoy text access log cut short is read as text, not JSON', () => {
    const line = '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http"';
    expect(errorOf(line)).toStrictEqual({ code: 'MW_DECODE_TEXT_MISMATCH', decoder: 'envoy' });
  });

  test.each([
    ['cAdvisor message cut in half', big.slice(0, Math.floor(big.length / 2))],
    ['cut inside a string', '{"ts":"2014-'],
    ['cut after a key', '{"metric"'],
    ['cut in an array', '{"a":[1,2'],
    ['cut after an escape', '"{\\"authority\\":\\'],
    ['OTel raw string literal cut', fixture('envoy/otel-raw.json').slice(0, 120)],
  ])('TRUNCATED: %s', (_name, text) => {
    expect(errorOf(text)).toStrictEqual({ code: 'MW_DECODE_TRUNCATED', decoder: 'auto' });
  });

  test.each([
    ['labels without a string value', '{"labels":{"__name__":"up"},"name":"up","timestamp":"1970-01-01T00:00:00Z","value":1}'],
    ['empty object', '{}'],
    ['number', '42'],
    ['null', 'null'],
    ['array', '[{"ts":1}]'],
  ])('UNKNOWN_FORMAT: %s', (_name, text) => {
    expect(errorOf(text)).toStrictEqual({ code: 'MW_DECODE_UNKNOWN_FORMAT', decoder: 'auto' });
  });
});

describe('laws', () => {
  test('decode never throws, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ container_stats: v })),
        ),
        (text) => {
          const r = decode(text, auto);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });

  test.each(ALL_FIXTURES)('every strict prefix of %s message %s is TRUNCATED', (_decoder, file) => {
    const text = fixture(file);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: text.length - 1 }), (cut) => {
        expect(errorOf(text.slice(0, cut))?.code).toBe('MW_DECODE_TRUNCATED');
      }),
      { numRuns: 200 },
    );
  });

  test('looksCutOff is false for complete JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(looksCutOff(text)).toBe(false);
      }),
    );
  });
});
