import { describe, expect, it } from 'vitest';
import { redactConfig } from '../../../src/config/redact.js';

describe('redactConfig', () => {
  it.each([
    [{ redis: { url: 'redis://u:pw@h:6379' } }, { redis: { url: 'redis://u:***@h:6379' } }],
    [{ http: { token: 'abc' } }, { http: { token: '***' } }],
    [{ kafka: { sasl: { password: 'p', username: 'u' } } }, { kafka: { sasl: { password: '***', username: 'u' } } }],
    [
      { sinks: { pagerduty: { routingKey: 'k', routingKeyFile: '/run/secret' } } },
      { sinks: { pagerduty: { routingKey: '***', routingKeyFile: '/run/secret' } } },
    ],
    [{ sinks: { hec: { token: undefined } } }, { sinks: { hec: { token: undefined } } }],
    [{ list: ['amqp://a:b@c', 1, null] }, { list: ['amqp://a:***@c', 1, null] }],
    [
      { apiKey: 7, clientSecret: 'x' },
      { apiKey: '***', clientSecret: '***' },
    ],
  ])('%j → %j', (input, output) => {
    expect(redactConfig(input)).toEqual(output);
  });

  it('leaves its input unchanged', () => {
    const input = { http: { token: 'abc' } };
    redactConfig(input);
    expect(input.http.token).toBe('abc');
  });
});
