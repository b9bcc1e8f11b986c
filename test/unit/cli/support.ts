/** Runs the `charter` command in-process and captures what it prints. */
import { main } from '../../../src/cli/main.ts';

export interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

export async function charter(...argv: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr };
}
