/**
 * CPU profiles of one phase of the benchmark (`--profile cold|changes|maps`), so that the profile shows that phase
 * only, not model generation or verification. Read one with `node bench/hotspots.ts <file>`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export class PhaseProfiler {
  private readonly session = new Session();
  private running = false;

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
    this.running = true;
  }

  /** Stops and writes the profile (Chrome DevTools format) to `path`. */
  async stop(path: string): Promise<void> {
    if (!this.running) return;
    const { profile } = await this.session.post('Profiler.stop');
    this.running = false;
    this.session.disconnect();
    writeFileSync(path, JSON.stringify(profile));
  }
}
