/**
 * Runs the meshwatch command line as a child process (`node --import tsx src/cli/main.ts`),
 * with a clean environment (no MESHWATCH_* from the caller), and collects its output.
 * Also: a free TCP port, and a private redis-server a test may kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits: its code and how long it ran. */
  exited: Promise<{ code: number | null; elapsedMs: number }>;
  /** Resolves once stderr contains `text` (rejects after timeoutMs). */
  waitForStderr: (text: string, timeoutMs: number) => Promise<void>;
}

export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    // Port 0 for the HTTP server: tests run side by side.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      MESHWATCH_HTTP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; elapsedMs: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, elapsedMs: Date.now() - started })),
  );
  const waitForStderr = async (text: string, timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!err.includes(text)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`stderr never said '${text}'; it said:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, waitForStderr };
}

export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; elapsedMs: number; stdout: string; stderr: string }> {
  const r = startCli(args, env);
  const { code, elapsedMs } = await r.exited;
  return { code, elapsedMs, stdout: r.stdout(), stderr: r.stderr() };
}

/** A port nothing listens on (bound and released at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of a test's own, on `port`, ready to answer; kill it with `.kill()`. */
export async function startRedis(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extraArgs];
  const child = spawn('redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString('utf8')));
  const end = Date.now() + 10_000;
  while (!log.includes('Ready to accept connections')) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`redis-server on ${port} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** Non-empty lines of a text. */
export const linesOf = (text: string): string[] => text.split('\n').filter((l) => l.trim().length > 0);

/** A stack trace's frame line. */
export const STACK_FRAME = /^\s+at /m;
