/**
 * The command line as a user meets it (a child process): a flag it does not understand
 * prints one MW_USAGE line and the usage, exits 2, and never a stack trace; `--version`
 * prints package.json's version; a bad config value exits 2 naming its field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { linesOf, ROOT, runCli, STACK_FRAME } from '../cli-process.js';

const VERSION = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;

describe('meshwatch command line', { timeout: 60_000 }, () => {
  it.each([
    [['run', '--bogus'], "meshwatch: MW_USAGE: unknown option '--bogus'"],
    [['run', '--set', 'foo'], "meshwatch: MW_USAGE: --set expects path=value, got 'foo'"],
    [['run', '--redis-url'], "meshwatch: MW_USAGE: option '--redis-url <value>' needs a value"],
    [['replay'], 'meshwatch: MW_USAGE: replay: give a file, or - for standard input'],
    [['frobnicate'], "meshwatch: MW_USAGE: unknown command 'frobnicate'"],
    [['--bogus'], "meshwatch: MW_USAGE: a command comes first, got '--bogus'"],
  ])('%j → exit 2, one line and the usage, no stack', async (args, line) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const lines = linesOf(r.stderr);
    expect(lines[0]).toBe(line);
    expect(lines[1]).toBe('usage: meshwatch <command> [options]');
    expect(lines.filter((l) => l.startsWith('meshwatch:'))).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe('');
  });

  it.each([[['--version']], [['-V']], [['run', '--version']]])('%j prints the version and exits 0', async (args) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.stderr).toBe('');
  });

  it('a bad config value exits 2 naming its field, without the usage', async () => {
    const r = await runCli(['run', '--set', 'redis.connectTimeoutMs=0']);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toEqual([
      'meshwatch: MW_CONFIG_INVALID: invalid configuration:',
      expect.stringContaining('redis.connectTimeoutMs:'),
    ]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('an unreadable config file is one MW line, not a stack', async () => {
    const r = await runCli(['run', '--config', '/nonexistent/meshwatch.json']);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toEqual(['meshwatch: MW_CONFIG_INVALID: config file /nonexistent/meshwatch.json: cannot be read']);
  });

  it('config check prints the configuration in effect with every secret redacted', async () => {
    const r = await runCli(['config', 'check', '--set', 'window.ms=20000'], {
      MESHWATCH_REDIS_URL: 'redis://meshwatch:s3cret-pass@redis.internal:6380/2',
      MESHWATCH_HTTP_TOKEN: 'http-token-0123456789',
      MESHWATCH_PAGERDUTY_ROUTING_KEY: 'R0123456789abcdef0123456789abcde',
    });
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout) as {
      window: { ms: number };
      redis: { url: string };
      http: { token: string };
      sinks: { pagerduty: { routingKey: string } };
    };
    expect(config.window.ms).toBe(20_000);
    expect(config.redis.url).toBe('redis://meshwatch:***@redis.internal:6380/2');
    expect(config.http.token).toBe('***');
    expect(config.sinks.pagerduty.routingKey).toBe('***');
    for (const secret of ['s3cret-pass', 'http-token-0123456789', 'R0123456789abcdef0123456789abcde'])
      expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('config with no subcommand is a usage error', async () => {
    const r = await runCli(['config']);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)[0]).toBe("meshwatch: MW_USAGE: config: the subcommand is 'check'");
  });

  it('an unexpected error is one line (exit 1); the debug switch is named, not taken', async () => {
    const r = await runCli(['replay', '/nonexistent/input.ndjson']);
    expect(r.code).toBe(1);
    expect(linesOf(r.stderr)).toEqual([
      "meshwatch: unexpected error: Error: ENOENT: no such file or directory, open '/nonexistent/input.ndjson' (--log-level debug shows where)",
    ]);
  });
});
