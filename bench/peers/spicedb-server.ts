/**
 * A SpiceDB server for `npm run bench:peers`: the binary scripts/spicedb-build.sh caches (built once from the Go module
 * proxy), started with its in-memory datastore on 127.0.0.1 only (gRPC with a preshared key, metrics on a second
 * loopback port, no HTTP gateway, no telemetry, no release check), and stopped by the benchmark.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SpiceDBServer {
  /** `127.0.0.1:<port>` of the gRPC API. */
  endpoint: string;
  /** `http://127.0.0.1:<port>/metrics`: Prometheus metrics, server-side handling times among them. */
  metricsUrl: string;
  presharedKey: string;
  binary: string;
  /** `spicedb version`'s first line. */
  version: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Finds (or builds, once) the binary; the build's log goes to stderr. */
export function spicedbBinary(): string {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'spicedb-build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts SpiceDB and resolves once its metrics endpoint answers and its gRPC port accepts connections. */
export async function startSpiceDB(options: { log?: (line: string) => void } = {}): Promise<SpiceDBServer> {
  const binary = spicedbBinary();
  const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const presharedKey = randomBytes(16).toString('hex');
  const args = [
    'serve',
    '--grpc-preshared-key', presharedKey,
    '--grpc-addr', `127.0.0.1:${grpcPort}`,
    '--datastore-engine', 'memory',
    '--http-enabled=false',
    '--metrics-addr', `127.0.0.1:${metricsPort}`,
    '--dispatch-cluster-enabled=false',
    '--telemetry-endpoint=',
    '--skip-release-check',
    '--log-level', 'warn',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
    for (const line of chunk.toString().split('\n')) if (line.trim()) options.log?.(line);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  // The server goes when the benchmark goes, however it ends (an interrupted run leaves no SpiceDB behind).
  const killOnExit = (): void => void child.kill('SIGKILL');
  const killOnSignal = (signal: NodeJS.Signals): void => {
    child.kill('SIGKILL');
    process.kill(process.pid, signal);
  };
  process.once('exit', killOnExit);
  process.once('SIGINT', killOnSignal);
  process.once('SIGTERM', killOnSignal);

  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`spicedb exited with code ${exited} before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`spicedb was not ready within 60 s:\n${output}`);
    }
    if ((await answers(metricsUrl)) && (await accepts(grpcPort))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: `127.0.0.1:${grpcPort}`,
    metricsUrl,
    presharedKey,
    binary,
    version,
    process: child,
    async stop() {
      process.removeListener('exit', killOnExit);
      process.removeListener('SIGINT', killOnSignal);
      process.removeListener('SIGTERM', killOnSignal);
      if (exited !== undefined) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false; // not listening yet
  }
}

async function accepts(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Server-side handling time of a gRPC method so far, from SpiceDB's `grpc_server_handling_seconds` histogram:
 * total seconds and calls (subtract two readings to get a phase's share).
 */
export async function handlingTime(server: SpiceDBServer, method: string): Promise<{ seconds: number; calls: number }> {
  const text = await (await fetch(server.metricsUrl)).text();
  let seconds = 0;
  let calls = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(`grpc_method="${method}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('grpc_server_handling_seconds_sum')) seconds += value;
    else if (line.startsWith('grpc_server_handling_seconds_count')) calls += value;
  }
  return { seconds, calls };
}

/** The sum of a metric's samples over all its labels (a counter's total so far), from SpiceDB's metrics. */
export async function metricTotal(server: SpiceDBServer, metric: string): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}
