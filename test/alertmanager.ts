/**
 * A real Prometheus Alertmanager for a test (Debian's prometheus-alertmanager, installed by
 * scripts/alertmanager.sh when missing), on free loopback ports with HA gossip off, whose
 * only receiver is a webhook this module runs: `notifications` records every payload
 * Alertmanager sends (webhook format version 4), in arrival order.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from './cli-process.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface Notification {
  version: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

export interface AlertmanagerOptions {
  resolveTimeout: string;
  groupWait?: string;
  groupInterval?: string;
}

export class TestAlertmanager {
  readonly notifications: { at: number; body: Notification }[] = [];
  url = '';
  private child: ChildProcess | undefined;
  private hook: Server | undefined;
  private dir = '';
  private log = '';

  async start(o: AlertmanagerOptions): Promise<this> {
    const bin = execFileSync('bash', [join(ROOT, 'scripts/alertmanager.sh'), 'install'], { encoding: 'utf8' }).trim();
    this.hook = createServer((req, res) => void this.record(req, res));
    await new Promise<void>((r) => this.hook!.listen(0, '127.0.0.1', r));
    const hookPort = (this.hook.address() as AddressInfo).port;
    this.dir = mkdtempSync(join(tmpdir(), 'mw-am-'));
    const config = [
      'global:',
      `  resolve_timeout: ${o.resolveTimeout}`,
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'namespace', 'service']",
      `  group_wait: ${o.groupWait ?? '1s'}`,
      `  group_interval: ${o.groupInterval ?? '1s'}`,
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      `    webhook_configs: [{url: 'http://127.0.0.1:${hookPort}/hook', send_resolved: true}]`,
      '',
    ].join('\n');
    writeFileSync(join(this.dir, 'am.yml'), config);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(
      bin,
      [
        `--config.file=${join(this.dir, 'am.yml')}`,
        `--storage.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (b: Buffer) => (this.log += b.toString('utf8')));
    this.child.stderr?.on('data', (b: Buffer) => (this.log += b.toString('utf8')));
    const end = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`alertmanager exited:\n${this.log}`);
      const ready = await fetch(`${this.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return this;
      if (Date.now() > end) throw new Error(`alertmanager not ready within 30 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Alertmanager's own view: GET /api/v2/alerts. */
  async alerts(): Promise<{ labels: Record<string, string>; endsAt: string; status: { state: string } }[]> {
    const r = await fetch(`${this.url}/api/v2/alerts`);
    return (await r.json()) as { labels: Record<string, string>; endsAt: string; status: { state: string } }[];
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('close', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    this.hook?.closeAllConnections();
    await new Promise((r) => (this.hook ? this.hook.close(r) : r(undefined)));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async record(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      this.notifications.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification });
    } catch {
      // not a notification: ignored
    }
    res.writeHead(200).end();
  }
}
