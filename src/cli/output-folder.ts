/**
 * The folder `charter render --out` writes into: made (with its missing parents) and written with errors that say
 * what is wrong with the path, never a stack trace or a hang.
 *
 * - A path that exists but is not a folder (a file, a FIFO, /dev/null): refused before anything is written.
 * - A pseudo file system (/proc, /sys, cgroups, …): refused by its type (statfs), before anything is made there —
 *   node's recursive mkdir spins forever on /proc (mkdir answers ENOENT under an existing parent), and a folder
 *   made under /sys/fs/cgroup would be a new cgroup.
 * - Any other failure (read-only file system, permission denied, disk full): the system's reason and the path.
 *
 *   const folder = outputFolder('out/');      // throws InputError
 *   folder.clear('status'); folder.write('status/User/bob.yaml', text);
 */
import { lstatSync, mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { InputError } from './workspace.ts';

/** statfs f_type magic numbers of file systems that are views of the kernel, not storage (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x1cd1, 'devpts'],
  [0x6e736673, 'nsfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x50495045, 'pipefs'],
  [0x534f434b, 'sockfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x6165676c, 'pstore'],
  [0x19800202, 'mqueue'],
  [0x67596969, 'rpc_pipefs'],
  [0x65735546, 'fuse control'],
  [0x73717368, 'configfs'],
]);

export interface OutputFolder {
  /** Removes a sub-folder (if there is one). */
  clear(relative: string): void;
  /** Writes a file below the folder, making its folders. */
  write(relative: string, text: string): void;
}

/** Why a file system call failed, in words, with the path: `EROFS` → "read-only file system". */
function failure(action: string, path: string, error: unknown): InputError {
  const e = error as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'is a folder',
    EEXIST: 'exists and is not a folder',
    ENAMETOOLONG: 'name too long',
    ELOOP: 'too many symbolic links',
    EIO: 'input/output error',
    ENOENT: 'no such file or folder',
  };
  const reason = (e?.code && reasons[e.code]) ?? e?.message ?? String(error);
  return new InputError(`--out ${path}: cannot ${action}: ${reason}${e?.code ? ` (${e.code})` : ''}`);
}

/** The nearest existing ancestor of `path` (the path itself when it exists). */
function nearestExisting(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      lstatSync(p);
      return p;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw failure('look at', p, error);
      if (dirname(p) === p) return p;
    }
  }
}

/** Makes `path` and its missing parents one at a time (never mkdir's recursive mode, which loops on /proc). */
function makeFolders(path: string): void {
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    let isFolder: boolean;
    try {
      isFolder = statSync(p).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw failure('look at', p, error);
      missing.push(p);
      if (dirname(p) === p) break;
      continue;
    }
    if (!isFolder) throw new InputError(`--out ${path}: ${p} exists and is not a folder`);
    break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p).isDirectory()) continue;
      throw failure('create the folder', p, error);
    }
  }
}

/**
 * Checks `out` (see the file header) and returns a writer into it.
 * @throws InputError naming the path and the reason
 */
export function outputFolder(out: string): OutputFolder {
  const root = resolve(out);
  const existing = nearestExisting(root);
  let stat;
  try {
    stat = statSync(existing);
  } catch (error) {
    throw failure('look at', existing, error);
  }
  if (existing === root && !stat.isDirectory()) throw new InputError(`--out ${out}: exists and is not a folder`);
  if (existing !== root && !stat.isDirectory()) throw new InputError(`--out ${out}: ${existing} is not a folder`);
  let type: number;
  try {
    type = statfsSync(existing).type;
  } catch (error) {
    throw failure('look at', existing, error);
  }
  const pseudo = PSEUDO_FILE_SYSTEMS.get(type);
  if (pseudo) throw new InputError(`--out ${out}: ${existing} is on a ${pseudo} file system (a view of the kernel, not storage); choose a folder on a disk`);
  makeFolders(root);
  const made = new Set<string>([root]);
  return {
    clear: (relative) => {
      const path = join(root, relative);
      try {
        rmSync(path, { recursive: true, force: true });
        for (const folder of made) if (folder === path || folder.startsWith(path + sep)) made.delete(folder);
      } catch (error) {
        throw failure('remove', path, error);
      }
    },
    write: (relative, text) => {
      const path = join(root, relative);
      const folder = dirname(path);
      if (!made.has(folder)) {
        makeFolders(folder);
        made.add(folder);
      }
      try {
        writeFileSync(path, text);
      } catch (error) {
        throw failure('write', path, error);
      }
    },
  };
}
