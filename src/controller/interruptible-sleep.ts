/**
 * A sleep that `stop()` can cut short: loops that wait between retries (the informer's backoff, the leader
 * elector's retry period) end at once on shutdown instead of finishing their wait.
 */
export class InterruptibleSleep {
  private wakeUp: (() => void) | undefined;

  /** Resolves after `ms`, or as soon as `wake()` is called. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => (this.wakeUp = undefined));
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.wakeUp?.();
  }
}
