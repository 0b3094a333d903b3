/**
 * Secrets never printed: a password in the Redis URL, a SASL password and a PagerDuty routing
 * key, given in a config file and on the command line, must not appear (raw or URL-encoded) in
 * any log line (text and JSON, debug level: client libraries' lines and stack traces included),
 * any error, the `config check` dump, `/metrics`, `/readyz`, or a dead-letter record.
 *
 * Paths that print: Redis refusing the password (a redis-server of the test's own with
 * `--requirepass`: the shared one keeps its users), a full `run` with the right password (the
 * URL given as a flag) under a malformed record, a PagerDuty endpoint that answers 400 with the
 * request echoed back (`sinks test`), and SASL against the plain broker (it cannot
 * authenticate: that error path is the one to check).
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeadLetter } from '../../src/sinks/kafka/dlq.js';
import { type CliRun, freePort, runCli, startCli, startRedis } from '../cli-process.js';
import { Collector, createTopics, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Characters a URL must escape, so the encoded and raw forms differ. */
const REDIS_PASSWORD = 'rP@ss/w0rd#S3kr1t:x';
const SASL_PASSWORD = 'sasl-S3kr1t-Pa55word';
const ROUTING_KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3yAB';
const SECRETS: Record<string, string> = { 'redis password': REDIS_PASSWORD, 'SASL password': SASL_PASSWORD, 'routing key': ROUTING_KEY };

function expectNoSecret(where: string, text: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) {
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      expect(text.includes(form), `${where} shows the ${name} (${form === secret ? 'raw' : 'encoded'}):\n${text.slice(0, 4000)}`).toBe(
        false,
      );
    }
  }
}

const redisUrl = (port: number): string => `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${port}/0`;

/** A config file holding every secret: the Redis URL, PagerDuty's key, and the SASL password. */
function configFile(
  run: string,
  redisPort: number,
  pagerdutyUrl: string,
  extra: Record<string, unknown> = {},
  pagerduty: Record<string, unknown> = { routingKey: ROUTING_KEY },
): string {
  const base = testConfig(run, { kafka: { groups: { sinks: `${run}-sinks` } }, redis: { connectTimeoutMs: 3000 } });
  const config = {
    ...base,
    ...extra,
    kafka: { ...base.kafka, ...(extra.kafka as object | undefined) },
    redis: { ...base.redis, url: redisUrl(redisPort), connectTimeoutMs: 3000 },
    sinks: { pagerduty: { enabled: true, url: pagerdutyUrl, ...pagerduty } },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mw-redact-'));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const file = join(dir, 'meshwatch.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** An endpoint that refuses every request with 400 and the request body echoed back (a hostile or confused proxy). */
async function echoingEndpoint(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString('utf8')));
    req.on('end', () => {
      requests.push(body);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'invalid', message: `bad event: ${body}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`, requests };
}

async function ownRedis(password: string): Promise<number> {
  const port = await freePort();
  const child: ChildProcess = await startRedis(port, ['--requirepass', password]);
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  });
  return port;
}

function started(args: string[]): CliRun {
  const cli = startCli(args);
  cleanups.push(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await cli.exited;
  });
  return cli;
}

const sasl = { kafka: { sasl: { mechanism: 'plain', username: 'meshwatch', password: SASL_PASSWORD } } };

describe('secrets are never printed', { timeout: 240_000 }, () => {
  it('config check: the dump masks them in either log format, given in the file, a flag or the environment', async () => {
    const run = uniqueId('redact-check');
    const file = configFile(run, 6399, 'http://127.0.0.1:9/v2/enqueue', sasl);
    for (const format of ['text', 'json']) {
      const r = await runCli(['config', 'check', '--config', file, '--log-format', format]);
      expect(r.code, r.stderr).toBe(0);
      expectNoSecret(`config check (${format})`, r.stdout + r.stderr);
      expect(r.stdout).toContain('"routingKey": "***"');
      expect(r.stdout).toContain('redis://:***@127.0.0.1:6399/0');
      expect(r.stdout).toMatch(/"password": "\*\*\*"/);
    }
    const flags = await runCli(['config', 'check', '--redis-url', redisUrl(6399), '--set', `sinks.pagerduty.routingKey=${ROUTING_KEY}`], {
      MESHWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    });
    expect(flags.code, flags.stderr).toBe(0);
    expectNoSecret('config check (flags, environment)', flags.stdout + flags.stderr);
  });

  it('Redis refusing or not answering, SASL refused: the errors, text and JSON at debug level, show none of them', async () => {
    // The server wants another password: the one the URL carries (the secret) is refused.
    const port = await ownRedis('server-side-only-password');
    const run = uniqueId('redact-auth');
    const file = configFile(run, port, 'http://127.0.0.1:9/v2/enqueue', sasl);
    const cases: [string, string[]][] = [
      ['Redis refusing the password', ['run', '--role', 'detect', '--config', file]],
      ['Redis not answering', ['run', '--role', 'detect', '--config', file, '--redis-url', redisUrl(1)]],
    ];
    // SASL against the plain broker cannot authenticate: that failure is the path to check.
    cases.push(['SASL refused', ['run', '--role', 'ingest', '--config', file, '--set', 'kafka.connectTimeoutMs=5000']]);
    for (const format of ['text', 'json']) {
      for (const [what, args] of cases) {
        const r = await runCli([...args, '--log-level', 'debug', '--log-format', format]);
        expect(r.code, `${what}: ${r.stderr}`).toBe(3);
        expectNoSecret(`${what} (${format})`, r.stdout + r.stderr);
      }
    }
  });

  it('a full run with the password in a flag: logs, /metrics, /readyz, dead letters and a PagerDuty refusal echoing the key', async () => {
    const port = await ownRedis(REDIS_PASSWORD);
    const pagerduty = await echoingEndpoint();
    const run = uniqueId('redact-run');
    const file = configFile(run, port, pagerduty.url);
    const config = testConfig(run);
    await createTopics(config);
    const dlq = await new Collector<DeadLetter>(testKafka(run), config.kafka.topics.dlq).start();
    cleanups.push(() => dlq.stop());

    const cli = started(['run', '--config', file, '--redis-url', redisUrl(port), '--log-level', 'debug', '--log-format', 'json']);
    await cli.waitForStderr('"msg":"running', 120_000);
    const running = cli
      .stderr()
      .split('\n')
      .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string; http?: string }) : {}))
      .find((e) => e.msg?.startsWith('running'));
    expect(running?.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // A malformed record that carries the secrets as its own bytes is the one exception the
    // DLQ must keep (the producer's data); a record that does not must not gain them.
    const producer = testKafka(run).producer();
    await producer.connect();
    await producer.send({ topic: config.kafka.topics.envoy[0]!, messages: [{ value: '{"start_time": "not json' }] });
    await producer.disconnect();
    await dlq.waitFor((d) => d.length >= 1, 60_000, 'the dead letter');
    expectNoSecret('the dead-letter record', JSON.stringify(dlq.items));

    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const res = await fetch(`${running!.http}${path}`);
      expectNoSecret(path, await res.text());
    }

    // The sink's refusal path: the endpoint echoes the event (routing key included) in its answer;
    // the key given in the configuration, then read from a file (a mounted secret).
    const keyDir = mkdtempSync(join(tmpdir(), 'mw-redact-key-'));
    cleanups.push(() => Promise.resolve(rmSync(keyDir, { recursive: true, force: true })));
    writeFileSync(join(keyDir, 'routing-key'), `${ROUTING_KEY}\n`);
    const fromFile = configFile(run, port, pagerduty.url, {}, { routingKeyFile: join(keyDir, 'routing-key') });
    for (const [format, f] of [
      ['text', file],
      ['json', file],
      ['json', fromFile],
    ] as const) {
      const r = await runCli(['sinks', 'test', '--sink', 'pagerduty', '--config', f, '--log-format', format, '--log-level', 'debug']);
      expect(r.code).not.toBe(0);
      expect(pagerduty.requests.some((b) => b.includes(ROUTING_KEY))).toBe(true);
      expectNoSecret(`sinks test against an echoing endpoint (${format})`, r.stdout + r.stderr);
    }

    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expectNoSecret('the run (JSON, debug)', cli.stdout() + cli.stderr());
    expect(cli.stderr()).toContain('redis://:***@127.0.0.1');
  });
});
