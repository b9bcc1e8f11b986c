/**
 * `charter render --out` into places it cannot write: one line naming the path and the reason, exit 2, no stack
 * trace and no hang (node's recursive mkdir spins forever under /proc), and nothing written elsewhere.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { charter } from './support.ts';

jest.setTimeout(60_000);

const TTS = 'examples/the-things-stack';
const root = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-render-out-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, exit 2, nothing on stdout. */
function expectOneError(run: { code: number; stdout: string[]; stderr: string[] }, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toEqual([]);
  expect(run.stderr).toHaveLength(1);
  expect(run.stderr[0]).toMatch(pattern);
  expect(run.stderr[0]).not.toMatch(/\n\s+at /);
}

describe('charter render --out', () => {
  test('a file: refused before anything is written, the file untouched', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'keep me');
    expectOneError(await charter('render', TTS, '--out', file), /^charter: --out .*a-file: exists and is not a folder$/);
    expect(await charter('render', TTS, '--out', join(file, 'below'))).toMatchObject({ code: 2, stderr: [expect.stringMatching(/a-file.*not a folder/)] });
  });

  test('a device (/dev/null): not a folder', async () => {
    expectOneError(await charter('render', TTS, '--out', '/dev/null'), /--out \/dev\/null: exists and is not a folder/);
  });

  test('/proc and /sys: pseudo file systems, refused by type (a path under /proc used to hang)', async () => {
    expectOneError(await charter('render', TTS, '--out', '/proc/charter-out'), /--out \/proc\/charter-out: \/proc is on a proc file system/);
    expectOneError(await charter('render', TTS, '--out', '/proc/self'), /on a proc file system/);
    expectOneError(await charter('render', TTS, '--out', '/sys/kernel/charter-out'), /on a sysfs file system/);
    expect(existsSync('/proc/charter-out')).toBe(false);
  });

  test('a missing folder several levels deep is made', async () => {
    const out = join(dir, 'a', 'b', 'c');
    const run = await charter('render', TTS, '--out', out);
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['configmaps', 'status']);
  });

  test('a read-only file system: the reason and the path, exit 2 (a read-only tmpfs in a mount namespace)', () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    // A user + mount namespace works as root and as an ordinary user; the mount disappears with the process.
    const script = `mount -t tmpfs -o ro tmpfs "$1" && exec "$2" bin/charter.js render ${TTS} --out "$1/out"`;
    const run = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', ro, process.execPath], {
      cwd: root,
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(run.error).toBeUndefined();
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 2,
      stdout: '',
      stderr: `charter: --out ${ro}/out: cannot create the folder: read-only file system (EROFS)\n`,
    });
  });
});
