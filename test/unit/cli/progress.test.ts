/**
 * Progress on a terminal, never in a pipe: the status line (src/cli/progress.ts) writes only to a TTY, only after a
 * run has lasted a moment, at most every 100 ms, and is cleared before results. Checked with a fake TTY stream, with
 * an in-process run over a large tree, and with real processes: stderr piped (nothing but the result line) and under
 * a pseudo-terminal from util-linux `script` (the status line appears).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progressLine } from '../../../src/cli/progress.ts';
import { main } from '../../../src/cli/main.ts';

const FILES = 400;
let tree: string;
beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), 'charter-progress-'));
  mkdirSync(join(tree, 'objects'));
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(tree, 'objects', `u${i}.yaml`), `apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: u${i} }\n`);
  }
});
afterAll(() => rmSync(tree, { recursive: true, force: true }));

describe('progressLine', () => {
  test('a stream that is not a TTY gets nothing', () => {
    const writes: string[] = [];
    const progress = progressLine({ isTTY: false, write: (s) => writes.push(s) }, () => 10_000);
    progress('reading');
    progress('');
    expect(writes).toEqual([]);
  });
  test('a TTY: quiet for 300 ms, then at most every 100 ms, rewritten in place, cleared with ""', () => {
    const writes: string[] = [];
    let now = 0;
    const progress = progressLine({ isTTY: true, write: (s) => writes.push(s) }, () => now);
    progress('a');
    now = 299;
    progress('b');
    progress('');
    expect(writes).toEqual([]); // nothing shown: nothing to clear either
    now = 300;
    progress('c');
    now = 350;
    progress('d');
    now = 400;
    progress('e');
    progress('');
    expect(writes).toEqual(['\r\x1b[Kc', '\r\x1b[Ke', '\r\x1b[K']);
  });
});

test('in process, with a fake terminal: files read, objects computed, files written', async () => {
  const seen: string[] = [];
  const out = mkdtempSync(join(tmpdir(), 'charter-progress-out-'));
  const code = await main(['render', tree, '--out', out], { out: () => {}, err: () => {}, progress: (t) => seen.push(t) });
  expect(code).toBe(0);
  expect(seen).toContain(`reading manifests: ${FILES - 1}/${FILES} files`);
  expect(seen).toContain(`computing rights: ${FILES} objects`);
  expect(seen.some((t) => /^writing \d+\/\d+ files$/.test(t))).toBe(true);
  rmSync(out, { recursive: true, force: true });
});

const charterJs = join(process.cwd(), 'bin', 'charter.js');

test('a real process with stderr in a pipe prints no progress', () => {
  const run = spawnSync(process.execPath, [charterJs, 'validate', tree], { encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: `${FILES} objects checked: 0 errors, 0 warnings\n` });
});

test('a real process on a terminal (a pseudo-terminal from `script`) shows the status line, then clears it', () => {
  // `script -qec CMD /dev/null` runs CMD with stdin, stdout and stderr on a new pseudo-terminal and copies it to ours.
  const command = [process.execPath, charterJs, 'validate', tree].map((a) => `'${a}'`).join(' ');
  // The quiet period is turned off: whether the run outlasts 300 ms depends on the machine, not on the code under test.
  const env = { ...process.env, CHARTER_PROGRESS_QUIET_MS: '0' };
  const screen = execFileSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env });
  expect(screen).toMatch(/\r\x1b\[Kreading manifests: \d+\/400 files/);
  expect(screen).toMatch(/\r\x1b\[K\r?\n?.*400 objects checked: 0 errors, 0 warnings/);
}, 120_000);
