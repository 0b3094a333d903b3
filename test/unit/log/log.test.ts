/**
 * meshwatch's log (src/log.ts): levels filter, the text lines keep their known shape, the JSON
 * events carry time, level, code, msg and fields, and every secret it knows is scrubbed.
 */
import { describe, expect, it } from 'vitest';
import { configSecrets } from '../../../src/config/redact.js';
import { type LogFormat, type LogLevel, Logger } from '../../../src/log.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');

function logger(level: LogLevel, format: LogFormat): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger({ level, format, write: (l) => lines.push(l), now: () => NOW }), lines };
}

describe('log', () => {
  it.each([
    ['error', 1],
    ['warn', 2],
    ['info', 3],
    ['debug', 4],
  ] as const)('at level %s writes the events up to it (%i of 4)', (level, n) => {
    const { log, lines } = logger(level, 'text');
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(lines).toHaveLength(n);
  });

  it('text: the lines as they always read, fields left to the JSON form', () => {
    const { log, lines } = logger('info', 'text');
    log.info('running role=all', { role: 'all' });
    log.warn('MW_LIMIT_EXCEEDED: bounds refused 3 services');
    log.error('MW_STORE_UNAVAILABLE: redis at redis://127.0.0.1:6379 lost (ECONNREFUSED)');
    expect(lines).toEqual([
      'meshwatch: running role=all',
      'meshwatch: warning: MW_LIMIT_EXCEEDED: bounds refused 3 services',
      'meshwatch: MW_STORE_UNAVAILABLE: redis at redis://127.0.0.1:6379 lost (ECONNREFUSED)',
    ]);
  });

  it('json: one object per line with time, level, the MW code apart from the message, and the fields', () => {
    const { log, lines } = logger('info', 'json');
    log.error('MW_STORE_UNAVAILABLE: redis lost', { dependency: 'redis', retryForMs: 120_000, msg: 'ignored', big: 5n });
    log.info('running');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        time: NOW.toISOString(),
        level: 'error',
        code: 'MW_STORE_UNAVAILABLE',
        msg: 'redis lost',
        dependency: 'redis',
        retryForMs: 120_000,
        big: '5',
      },
      { time: NOW.toISOString(), level: 'info', msg: 'running' },
    ]);
  });

  it('scrubs URL passwords and every secret it was told, raw and URL-encoded, in messages and fields', () => {
    const secret = 'p@ss/w0rd#1';
    for (const format of ['text', 'json'] as const) {
      const { log, lines } = logger('debug', format);
      log.addSecrets(
        configSecrets({
          redis: { url: `redis://u:${encodeURIComponent(secret)}@h:6379` },
          sinks: { pagerduty: { routingKey: 'KEYKEYKEY' } },
        }),
      );
      log.warn(`refused ${secret} and KEYKEYKEY`, {
        url: `redis://u:${encodeURIComponent(secret)}@h:6379`,
        nested: [{ key: 'KEYKEYKEY' }],
      });
      log.info('rediss://other:plain-pw@host:1/0');
      const all = lines.join('\n');
      for (const s of [secret, encodeURIComponent(secret), 'KEYKEYKEY', 'plain-pw']) expect(all).not.toContain(s);
      expect(all).toContain('***');
    }
  });

  it('configSecrets finds secret-named fields and URL passwords anywhere', () => {
    const found = configSecrets({
      kafka: { sasl: { username: 'u', password: 'sasl-pw' } },
      redis: { url: 'redis://:r%40pw@h:1' },
      http: { token: 'tok-123' },
      sinks: { pagerduty: { routes: [{ routingKey: 'rk' }] } },
      other: 'http://no-password@h',
    });
    expect(new Set(found)).toEqual(new Set(['sasl-pw', 'r%40pw', 'r@pw', 'tok-123', 'rk']));
  });
});
