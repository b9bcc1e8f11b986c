/**
 * The rules of a writer's own writes and their echoes (src/controller/write-echoes.ts), shared by the status writer
 * and the ConfigMap writer: each test breaks when its rule does.
 */
import { describe, expect, test } from '@jest/globals';
import { WriteEchoes } from '../../../src/controller/write-echoes.ts';

const KEY = 'acme/charter-permissions';

/** A write of KEY answered with `to`, with the events `heard` while it was in flight; whether it asks for a recheck. */
function written(echoes: WriteEchoes<string>, to: string | undefined, heard: string[] = [], target?: { uid?: string; generation?: number }): boolean {
  echoes.begin(KEY, target);
  for (const h of heard) expect(echoes.echo(KEY, h, target)).toBe(true);
  return echoes.answered(KEY, to, `value@${to}`);
}

describe('after the answer: the last write remembered until the informer shows it', () => {
  test('its echo (exactly the answered version) is its own, once: then let go of', () => {
    const echoes = new WriteEchoes<string>();
    expect(written(echoes, '10')).toBe(false);
    expect(echoes.echo(KEY, '9')).toBe(false);
    expect(echoes.echo(KEY, '11')).toBe(false);
    expect(echoes.echo('acme/other', '10')).toBe(false);
    expect(echoes.echo(KEY, undefined)).toBe(false);
    expect(echoes.unseenCount).toBe(1);
    expect(echoes.echo(KEY, '10')).toBe(true);
    expect(echoes.unseenCount).toBe(0);
    expect(echoes.echo(KEY, '10')).toBe(false);
  });

  test('unseen: while the informer is older or has nothing; an informer that caught up (or is newer) lets it go', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10');
    expect(echoes.unseen(KEY, undefined)).toEqual({ resourceVersion: '10', value: 'value@10' });
    expect(echoes.unseen(KEY, { resourceVersion: '9' })?.value).toBe('value@10');
    // One that cannot be ordered, or none, is never judged older: the informer is believed.
    for (const informer of [{ resourceVersion: 'abc' }, {}, { resourceVersion: '10' }]) {
      written(echoes, '10');
      expect(echoes.unseen(KEY, informer)).toBeUndefined();
      expect(echoes.unseen(KEY, undefined)).toBeUndefined();
    }
    written(echoes, '10');
    expect(echoes.unseen(KEY, { resourceVersion: '12' })).toBeUndefined();
    expect(echoes.echo(KEY, '10')).toBe(false);
  });

  test('an answer without a resourceVersion: nothing remembered', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10');
    expect(written(echoes, undefined)).toBe(false);
    expect(echoes.unseenCount).toBe(0);
    expect(echoes.unseen(KEY, undefined)).toBeUndefined();
  });

  test('forget lets go of one key; forgetAll of every write, not of the writes in flight', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10');
    echoes.forget(KEY);
    expect(echoes.echo(KEY, '10')).toBe(false);
    written(echoes, '11');
    echoes.begin('acme/other');
    echoes.forgetAll();
    expect(echoes.echo(KEY, '11')).toBe(false);
    expect(echoes.echo('acme/other', '3')).toBe(true);
    expect(echoes.answered('acme/other', '4', 'v')).toBe(false);
    expect(echoes.echo('acme/other', '4')).toBe(true);
  });
});

describe('while the write is in flight: every event held, judged at the answer', () => {
  test.each([
    { heard: [], recheck: false, remembered: true, why: 'nothing heard' },
    { heard: ['10'], recheck: false, remembered: false, why: 'its echo came first: the informer shows it' },
    { heard: ['8'], recheck: false, remembered: true, why: 'an older version: the echo of the write before' },
    { heard: ['8', '10'], recheck: false, remembered: false, why: 'the write before, then its own echo' },
    { heard: ['11'], recheck: true, remembered: true, why: "a newer version: someone else's write after it" },
    { heard: ['x1'], recheck: true, remembered: true, why: 'a version that cannot be ordered' },
    { heard: [''], recheck: true, remembered: true, why: 'an event without a version' },
  ])('$why', ({ heard, recheck, remembered }) => {
    const echoes = new WriteEchoes<string>();
    expect(written(echoes, '10', heard)).toBe(recheck);
    expect(echoes.unseenCount).toBe(remembered ? 1 : 0);
    // Held no more: the next events are judged against the remembered write.
    expect(echoes.echo(KEY, '10')).toBe(remembered);
    expect(echoes.echo(KEY, '12')).toBe(false);
  });

  test('an answer without a resourceVersion after an event: compared again', () => {
    const echoes = new WriteEchoes<string>();
    expect(written(echoes, undefined, ['10'])).toBe(true);
  });

  test('dropped (the write failed, or its object is gone): the events held judge nothing, the next are not held', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10');
    echoes.begin(KEY);
    expect(echoes.echo(KEY, '11')).toBe(true);
    echoes.dropped(KEY);
    expect(echoes.echo(KEY, '12')).toBe(false);
    // The write before stays remembered (a writer that wants it gone says so: forget).
    expect(echoes.echo(KEY, '10')).toBe(true);
  });
});

describe('a write for one object (a status: its uid, and its generation while in flight)', () => {
  const target = { uid: 'u1', generation: 1 };
  test('in flight: an event of another uid or generation is not held', () => {
    const echoes = new WriteEchoes<string>();
    echoes.begin(KEY, target);
    expect(echoes.echo(KEY, '9', { uid: 'u2', generation: 1 })).toBe(false);
    expect(echoes.echo(KEY, '9', { uid: 'u1', generation: 2 })).toBe(false);
    expect(echoes.echo(KEY, '9')).toBe(false);
    // Not heard: the answer finds nothing to compare again.
    expect(echoes.answered(KEY, '10', 'v')).toBe(false);
  });

  test('remembered: the echo must be of the same uid (its generation may have moved on)', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10', [], target);
    expect(echoes.echo(KEY, '10', { uid: 'u2', generation: 1 })).toBe(false);
    expect(echoes.echo(KEY, '10', { uid: 'u1', generation: 2 })).toBe(true);
  });

  test('unseen: only while the informer shows an older version of the same uid', () => {
    const echoes = new WriteEchoes<string>();
    written(echoes, '10', [], target);
    expect(echoes.unseen(KEY, { resourceVersion: '9', uid: 'u1' })?.value).toBe('value@10');
    expect(echoes.unseen(KEY, { resourceVersion: '9', uid: 'u2' })).toBeUndefined();
    expect(echoes.unseen(KEY, { resourceVersion: '9', uid: 'u1' })).toBeUndefined();
  });

  test('a write that names no target (a ConfigMap): any event of its key counts', () => {
    const echoes = new WriteEchoes<string>();
    echoes.begin(KEY);
    expect(echoes.echo(KEY, '9', { uid: 'u2', generation: 7 })).toBe(true);
    expect(echoes.answered(KEY, '10', 'v')).toBe(false);
    expect(echoes.unseen(KEY, { resourceVersion: '9', uid: 'u9' })?.value).toBe('v');
    expect(echoes.echo(KEY, '10', { uid: 'u3' })).toBe(true);
  });
});
