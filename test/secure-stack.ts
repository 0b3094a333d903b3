/**
 * Secured servers of a test's own, on their own ports and state folders (the shared broker and
 * Redis are never touched):
 * - `makeCerts`: a self-signed CA and a server certificate for 127.0.0.1 (openssl);
 * - `startSecureKafka`: a second single-node Kafka broker (KRaft, jars of scripts/stack.sh) with
 *   a SASL_SSL listener and a SCRAM-SHA-512 user created when its storage is formatted; the
 *   inter-broker and controller listeners stay PLAINTEXT on loopback;
 * - `startTlsRedis`: redis-server on a TLS port only, the default user off, one ACL user;
 * - `startTlsRedisCluster`: three such servers as the masters of a Redis Cluster (TLS on the bus too).
 * Each returns `stop()`, which kills only the processes it started.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, startRedis } from './cli-process.js';

export interface Certs {
  ca: string;
  cert: string;
  key: string;
  /** The server certificate and key as PKCS#12 (the broker's keystore) and its password. */
  p12: string;
  p12Password: string;
}

const openssl = (args: string[], cwd: string): void => void execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A CA and a server certificate for IP 127.0.0.1 / localhost, valid two days, in `dir`. */
export function makeCerts(dir: string): Certs {
  mkdirSync(dir, { recursive: true });
  const days = '2';
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      days,
      '-subj',
      '/CN=meshwatch test CA',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      days,
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  const p12Password = 'keystore-pass';
  openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      'server.crt',
      '-inkey',
      'server.key',
      '-out',
      'server.p12',
      '-name',
      'broker',
      '-passout',
      `pass:${p12Password}`,
    ],
    dir,
  );
  return {
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    p12: join(dir, 'server.p12'),
    p12Password,
  };
}

export interface Stoppable {
  stop: () => Promise<void>;
}

/** Ends a child this helper started (SIGTERM, then SIGKILL after `graceMs`). */
function ender(child: ChildProcess, graceMs = 5000): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

export interface SecureKafka extends Stoppable {
  brokers: string[];
}

/** A SASL_SSL broker with user `username` (SCRAM-SHA-512); resolves once it has started. */
export async function startSecureKafka(dir: string, certs: Certs, username: string, password: string): Promise<SecureKafka> {
  const lib = join(ROOT, '.cache', 'kafka', 'lib');
  if (!existsSync(join(lib, '.complete'))) throw new Error(`no Kafka jars in ${lib}: run scripts/stack.sh up once`);
  const [port, brokerPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
  mkdirSync(join(dir, 'data'), { recursive: true });
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=SASL_SSL://127.0.0.1:${port},BROKER://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port},BROKER://127.0.0.1:${brokerPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=BROKER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${certs.p12}`,
      `ssl.keystore.password=${certs.p12Password}`,
      `ssl.key.password=${certs.p12Password}`,
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=2',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'),
  );
  const cp = `${lib}/*`;
  // Asynchronous: the other servers start meanwhile (a blocked event loop would starve their start-up checks).
  const java = promisify(execFile);
  const clusterId = (await java('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'])).stdout.trim().split('\n').pop()!;
  const scram = `SCRAM-SHA-512=[name=${username},password=${password}]`;
  await java('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--add-scram', scram]);
  const logFile = join(dir, 'kafka.log');
  const child = spawn('java', ['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-cp', cp, 'kafka.Kafka', props], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer): void => {
    log += b.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = ender(child);
  const end = Date.now() + 90_000;
  while (!log.includes('Kafka Server started')) {
    if (Date.now() > end || child.exitCode !== null) {
      writeFileSync(logFile, log);
      await stop();
      throw new Error(`the SASL_SSL broker did not start; last lines:\n${log.split('\n').slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { brokers: [`127.0.0.1:${port}`], stop };
}

const tlsArgs = (c: Certs): string[] => [
  '--tls-cert-file',
  c.cert,
  '--tls-key-file',
  c.key,
  '--tls-ca-cert-file',
  c.ca,
  '--tls-auth-clients',
  'no',
];

/** The default user off, `username` with every command and key. */
const aclArgs = (username: string, password: string): string[] => [
  '--user',
  'default',
  'off',
  '--user',
  username,
  'on',
  `>${password}`,
  '~*',
  '&*',
  '+@all',
];

/** A `rediss://user:password@127.0.0.1:port` URL. */
export const redissUrl = (port: number, username: string, password: string): string =>
  `rediss://${encodeURIComponent(username)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;

export interface TlsRedis extends Stoppable {
  ports: number[];
}

/**
 * redis-server on a TLS port only (`--port 0`) in `dir`, with an ACL user and the default user off;
 * `extra()` gives more arguments (fresh ports each time). A free port can be taken between the
 * check and the server's bind (other tests run side by side): three tries.
 */
async function startTlsRedisNode(
  dir: string,
  certs: Certs,
  username: string,
  password: string,
  extra: () => Promise<string[]> = () => Promise.resolve([]),
): Promise<{ port: number; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const tls = ['--port', '0', '--tls-port', String(port), '--dir', dir, ...tlsArgs(certs)];
    try {
      const child = await startRedis(port, [...tls, ...aclArgs(username, password), ...(await extra())]);
      return { port, stop: ender(child) };
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** One TLS + ACL redis-server. */
export async function startTlsRedis(dir: string, certs: Certs, username: string, password: string): Promise<TlsRedis> {
  const { port, stop } = await startTlsRedisNode(dir, certs, username, password);
  return { ports: [port], stop };
}

/** Three TLS + ACL redis-servers joined as the masters of a Redis Cluster (no replicas); resolves once the cluster is ok. */
export async function startTlsRedisCluster(dir: string, certs: Certs, username: string, password: string): Promise<TlsRedis> {
  const ports: number[] = [];
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(stops.map((s) => s()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      const nodeDir = join(dir, `node-${i}`);
      const conf = join(nodeDir, 'nodes.conf');
      const clusterArgs = async (): Promise<string[]> => {
        const bus = String(await freePort());
        return [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          conf,
          '--cluster-port',
          bus,
          '--tls-cluster',
          'yes',
          '--tls-replication',
          'yes',
        ];
      };
      const node = await startTlsRedisNode(nodeDir, certs, username, password, clusterArgs);
      stops.push(node.stop);
      ports.push(node.port);
    }
    const cli = ['--tls', '--cacert', certs.ca, '--user', username, '--pass', password, '--no-auth-warning'];
    execFileSync(
      'redis-cli',
      [...cli, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        stdio: 'pipe',
      },
    );
    const end = Date.now() + 30_000;
    const ok = (p: number): boolean =>
      execFileSync('redis-cli', [...cli, '-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok');
    while (!ports.every(ok)) {
      if (Date.now() > end) throw new Error(`the Redis Cluster on ${ports.join(',')} did not become ok`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
