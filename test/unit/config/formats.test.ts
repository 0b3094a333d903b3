import { describe, expect, it } from 'vitest';
import { topicDecodeOptionsOf, topicDecodersOf } from '../../../src/config/derive.js';
import { parseConfig } from '../../../src/config/load.js';
import { SeriesState } from '../../../src/core/decode/series-state.js';

const errorOf = (raw: unknown): string => {
  try {
    parseConfig(raw);
    return 'accepted';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

describe('per-topic input formats', () => {
  it('names every raw topic with its decoder; ingest.formats wins over the kafka.topics lists', () => {
    const c = parseConfig({
      kafka: { topics: { envoy: ['logs'], als: ['als'], prometheus: ['metrics'] } },
      ingest: {
        formats: { logs: { decoder: 'auto' }, 'text-logs': { textFormats: ['[%START_TIME%] %RESPONSE_CODE% %UPSTREAM_CLUSTER%'] } },
      },
    });
    expect(Object.fromEntries(topicDecodersOf(c))).toStrictEqual({
      logs: 'auto',
      stats: 'cadvisor',
      'meshwatch.samples': 'sample',
      als: 'als',
      metrics: 'prometheus',
      'text-logs': 'auto',
    });
    const series = new SeriesState(10);
    const opts = topicDecodeOptionsOf(c, 'text-logs', 'auto', series);
    expect([opts.textFormats?.[0]?.operators.map((o) => o.key), opts.series === series]).toStrictEqual([
      ['start_time', 'response_code', 'upstream_cluster'],
      true,
    ]);
    expect(topicDecodeOptionsOf(c, 'logs', 'auto', undefined).textFormats).toBeUndefined();
  });

  it.each([
    [{ ingest: { formats: { logs: { textFormats: ['%DURATION% only'] } } } }, 'ingest.formats.logs.textFormats.0', 'no %START_TIME%'],
    [
      { ingest: { formats: { logs: { textFormats: ['%START_TIME%%DURATION%'] } } } },
      'ingest.formats.logs.textFormats.0',
      'cannot be told apart',
    ],
    [{ ingest: { formats: { logs: { decoder: 'syslog' } } } }, 'ingest.formats.logs.decoder', ''],
    [{ ingest: { formats: { 'bad topic!': {} } } }, 'ingest.formats', ''],
    [{ ingest: { maxSeries: 0 } }, 'ingest.maxSeries', ''],
  ])('refuses %j naming the field', (raw, field, said) => {
    const message = errorOf(raw);
    expect([message.includes(field), message.includes(said)]).toStrictEqual([true, true]);
  });
});
