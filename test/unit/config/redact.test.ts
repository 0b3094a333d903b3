/**
 * Redaction: an address keeps everything but its password; a text loses every form of the
 * password (raw and percent-decoded).
 */
import { describe, expect, test } from 'vitest';
import { redactUrl, scrub, secretsOf } from '../../../src/config/redact.js';

describe('redactUrl', () => {
  test.each([
    ['redis://user:secret@h:6379/0', 'redis://user:***@h:6379/0'],
    ['redis://:secret@127.0.0.1:6390', 'redis://:***@127.0.0.1:6390'],
    ['rediss://:p%40ss@[::1]:6390/2', 'rediss://:***@[::1]:6390/2'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://user@h:6379', 'redis://user@h:6379'],
    ['not a url //a:b@c', 'not a url //a:***@c'],
  ])('%s → %s', (url, want) => {
    expect(redactUrl(url)).toBe(want);
  });
});

describe('scrub', () => {
  test('removes the raw and the decoded password from a text', () => {
    expect(secretsOf('redis://:p%40ss@h:1')).toEqual(['p%40ss', 'p@ss']);
    expect(scrub('auth p@ss failed; url had p%40ss', 'redis://:p%40ss@h:1')).toBe('auth *** failed; url had ***');
  });

  test('leaves a text alone when the URL has no password', () => {
    expect(scrub('connect ECONNREFUSED 127.0.0.1:6390', 'redis://127.0.0.1:6390')).toBe('connect ECONNREFUSED 127.0.0.1:6390');
  });
});
