/** Ports for the dev cluster: the webhook's port, held until the operator starts, lies below the ephemeral range. */
import { describe, expect, test } from '@jest/globals';
import { createServer } from 'node:net';
import { ephemeralRange, heldPort } from '../../../src/devcluster/loopback-ports.ts';

describe('loopback ports', () => {
  test('the ephemeral range is read from the kernel, with the Linux default when it cannot be', () => {
    expect(ephemeralRange(() => '32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralRange(() => '40000 50000')).toEqual({ low: 40000, high: 50000 });
    expect(ephemeralRange(() => 'garbage')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralRange(() => {
      throw new Error('ENOENT');
    })).toEqual({ low: 32768, high: 60999 });
  });

  test('a held port is below the ephemeral range and free to listen on', async () => {
    const range = ephemeralRange();
    for (let i = 0; i < 5; i++) {
      const port = await heldPort(range);
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThan(range.low);
      await new Promise<void>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });
});
