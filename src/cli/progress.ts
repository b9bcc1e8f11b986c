/**
 * Progress of long runs on a terminal: one status line on stderr, rewritten in place, only when stderr is a TTY (never
 * in a pipe or a file, where it would be noise in a log), only once a run has taken a moment, and at most a few times
 * a second. Cleared before the command prints its result lines.
 */

/** Where progress goes: a stream that may be a terminal, and a clock (injected in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Nothing shows before a run has lasted this long, so quick commands never flicker. `CHARTER_PROGRESS_QUIET_MS`
 * overrides it (0: from the first step), so that a test on a terminal does not depend on how fast the machine is.
 */
const QUIET_MS = quietMs(process.env.CHARTER_PROGRESS_QUIET_MS);
function quietMs(value: string | undefined): number {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : 300;
}
const INTERVAL_MS = 100;

/** A `progress(text)` function: text rewrites the status line; '' clears it. A no-op unless the stream is a TTY. */
export function progressLine(stream: ProgressStream, now: () => number = Date.now): (text: string) => void {
  if (!stream.isTTY) return () => {};
  let started: number | undefined;
  let last = -Infinity;
  let shown = false;
  return (text) => {
    const t = now();
    started ??= t;
    if (text === '') {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
      return;
    }
    if (t - started < QUIET_MS || t - last < INTERVAL_MS) return;
    last = t;
    shown = true;
    stream.write(`\r\x1b[K${text.length > 100 ? `${text.slice(0, 97)}...` : text}`);
  };
}
