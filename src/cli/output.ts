/** Where commands write: injected so that tests capture output without spawning a process. */
import { progressLine } from './progress.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** The status line of a long run ('' clears it); absent or a no-op when nobody watches (progress.ts). */
  progress?(text: string): void;
}

const progress = progressLine(process.stderr);

export const processOutput: Output = {
  out: (line) => {
    progress('');
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    progress('');
    process.stderr.write(`${line}\n`);
  },
  progress,
};
