/**
 * The harness leaves nothing behind: no process, no listening port, no folder — when stopped by a
 * signal, and when its process is killed outright (SIGKILL) with no chance to clean up.
 * Each case starts a control plane of its own in a child process (fixtures/harness-child.ts).
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sweepStale } from '../../src/devcluster/stale-folders.ts';
import { controlPlaneInfo } from './support/cluster.ts';

jest.setTimeout(120_000);

const childScript = fileURLToPath(new URL('./fixtures/harness-child.ts', import.meta.url));

interface Started {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dir: string;
  pids: { etcd: number; apiserver: number; watchdog?: number };
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  server: string;
}

const bases: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
});

function newBase(): string {
  const b = mkdtempSync(join(tmpdir(), 'charter-cleanup-test-'));
  bases.push(b);
  return b;
}

async function startHarnessChild(base: string, env: Record<string, string> = {}): Promise<Started> {
  const assets = controlPlaneInfo()?.binariesDir;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', childScript], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...(assets ? { KUBEBUILDER_ASSETS: assets } : {}),
      CHARTER_CONTROLPLANE_BASE: base,
      ...env,
    },
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then(({ code, signal }) => reject(new Error(`harness child exited (${signal ?? code}) before ready:\n${err}`)));
  });
  return { child, exited, ...(JSON.parse(line) as Omit<Started, 'child' | 'exited'>) };
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat); // a zombie has let go of everything already
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function leftovers(s: Started, base: string): Promise<string[]> {
  const left: string[] = [];
  for (const [name, pid] of Object.entries(s.pids)) if (pid && processAlive(pid)) left.push(`process ${name} (${pid})`);
  for (const [name, port] of Object.entries(s.ports)) if (await portOpen(port)) left.push(`port ${name} (${port})`);
  for (const entry of readdirSync(base)) left.push(`folder ${join(base, entry)}`);
  return left;
}

/** Waits until nothing of `s` is left (or the deadline passes) and returns what is left. */
async function waitUntilGone(s: Started, base: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await leftovers(s, base);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('control plane cleanup', () => {
  test('a running harness owns live processes, open ports and its folder', async () => {
    const base = newBase();
    const s = await startHarnessChild(base);
    expect(s.dir.startsWith(base)).toBe(true);
    const left = await leftovers(s, base);
    expect(left).toEqual(
      expect.arrayContaining([
        `process etcd (${s.pids.etcd})`,
        `process apiserver (${s.pids.apiserver})`,
        `port apiserver (${s.ports.apiserver})`,
        `port etcdClient (${s.ports.etcdClient})`,
        `folder ${s.dir}`,
      ]),
    );
    s.child.kill('SIGTERM');
    await s.exited;
    expect(await waitUntilGone(s, base, 15_000)).toEqual([]);
  });

  test.each(['SIGTERM', 'SIGINT'] as const)('%s: the harness stops everything, then exits by the signal', async (sig) => {
    const base = newBase();
    const s = await startHarnessChild(base);
    s.child.kill(sig);
    expect(await s.exited).toEqual({ code: null, signal: sig });
    // Stopped before the process went: nothing to wait for but the watchdog's own exit.
    const left = await leftovers(s, base);
    expect(left.filter((l) => !l.startsWith('process watchdog'))).toEqual([]);
    expect(await waitUntilGone(s, base, 5_000)).toEqual([]);
  });

  test('SIGKILL: the children die with the harness and the watchdog removes the folder', async () => {
    const base = newBase();
    const s = await startHarnessChild(base);
    s.child.kill('SIGKILL');
    expect(await s.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await waitUntilGone(s, base, 20_000)).toEqual([]);
  });

  test('SIGKILL with no parent-death signal: the watchdog alone stops the children and removes the folder', async () => {
    const base = newBase();
    const s = await startHarnessChild(base, { CHARTER_CONTROLPLANE_NO_PDEATHSIG: '1' });
    s.child.kill('SIGKILL');
    await s.exited;
    expect(await waitUntilGone(s, base, 30_000)).toEqual([]);
  });

  test('a later start sweeps the folder of a control plane whose owner is gone', () => {
    const base = newBase();
    const stale = join(base, 'charter-cp-stale1');
    mkdirSync(join(stale, 'pki'), { recursive: true });
    // A pid far above pid_max's default: no such process.
    writeFileSync(join(stale, 'owner.json'), JSON.stringify({ pid: 99_999_999, etcd: 99_999_998, apiserver: 99_999_997 }));
    const live = join(base, 'charter-cp-live1');
    mkdirSync(live);
    writeFileSync(join(live, 'owner.json'), JSON.stringify({ pid: process.pid }));
    sweepStale(base);
    expect(readdirSync(base)).toEqual(['charter-cp-live1']);
  });
});
