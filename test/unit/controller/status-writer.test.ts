/**
 * The status writer's decisions, against a fake API that records every request: what it writes (one server-side
 * apply on the status subresource, field manager `charter`), what it skips (an unchanged status, an object gone), what
 * it leaves to the queue to retry (a conflict, a 5xx, a timeout: it throws), and the two-step write of a map that
 * became empty.
 */
import { describe, expect, test } from '@jest/globals';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH } from '../../../src/controller/api-client.ts';
import type { RawObject } from '../../../src/controller/cluster-model.ts';
import { EventRecorder } from '../../../src/controller/event-recorder.ts';
import { foreignConditions, olderThan, StatusWriter, type StatusWriteResult } from '../../../src/controller/status-writer.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import type { ObjectRef } from '../../../src/model/model.ts';
import { collab, engineOf, group, modelOf, org, user } from '../engine/support.ts';
import { rawCollaboration, rawGroup, rawUser } from './builders.ts';
import { FakeApi, fails, timesOut, type Reactor } from './fake-api.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const STAMP = '2026-06-01T00:00:00Z';
const BOB: ObjectRef = { kind: 'User', name: 'bob' };
const BOB_STATUS = '/apis/charter.dev/v1alpha1/users/bob/status';

/** bob holds one right on an application of acme. */
const world = (): Engine =>
  engineOf(modelOf(user('bob'), org('acme', { namespaces: ['acme'] }), collab('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'])), { now: NOW });

/** The status the writer applies for `object` (what a first write sends). */
async function firstWrite(engine: Engine, object: ObjectRef, raw: RawObject): Promise<Record<string, unknown>> {
  const api = new FakeApi();
  await new StatusWriter({ api, now: () => NOW }).sync(engine, object, raw);
  return (api.actions[0]!.body as { status: Record<string, unknown> }).status;
}

function writer(api: FakeApi, writes: string[] = [], events?: EventRecorder): StatusWriter {
  return new StatusWriter({ api, now: () => NOW, ...(events ? { events } : {}), onWrite: (ok, conflict, verb = 'apply') => writes.push(`${verb}:${ok ? 'ok' : conflict ? 'conflict' : 'error'}`) });
}

describe('what is written and what is skipped', () => {
  interface Row {
    name: string;
    current: (engine: Engine) => Promise<RawObject | undefined>;
    result: StatusWriteResult;
    verbs: string[];
  }
  const rows: Row[] = [
    { name: 'an object with no status yet: one apply', current: async () => rawUser('bob'), result: 'written', verbs: [`PATCH ${BOB_STATUS}`] },
    {
      name: 'the status it wrote last (its own write echoed back by the watch): nothing',
      current: async (engine) => rawUser('bob', {}, { status: await firstWrite(engine, BOB, rawUser('bob')) }),
      result: 'unchanged',
      verbs: [],
    },
    {
      name: 'a status someone edited: written back',
      current: async (engine) => {
        const status = await firstWrite(engine, BOB, rawUser('bob'));
        return rawUser('bob', {}, { status: { ...status, groupCount: 7 } });
      },
      result: 'written',
      verbs: [`PATCH ${BOB_STATUS}`],
    },
    { name: 'an object the informer no longer holds: nothing', current: async () => undefined, result: 'gone', verbs: [] },
  ];
  test.each(rows)('$name', async ({ current, result, verbs }) => {
    const engine = world();
    const raw = await current(engine);
    const api = new FakeApi();
    expect(await writer(api).sync(engine, BOB, raw)).toBe(result);
    expect(api.verbs).toEqual(verbs);
  });

  test('the apply: the status subresource, field manager charter with force, only the status and the object it belongs to', async () => {
    const api = new FakeApi();
    await writer(api).sync(world(), BOB, rawUser('bob'));
    expect(api.actions).toEqual([
      {
        method: 'PATCH',
        path: BOB_STATUS,
        contentType: APPLY_PATCH,
        query: { fieldManager: 'charter', force: true },
        body: {
          apiVersion: 'charter.dev/v1alpha1',
          kind: 'User',
          metadata: { name: 'bob' },
          status: expect.objectContaining({
            observedGeneration: 1,
            conditions: [expect.objectContaining({ type: 'Ready', status: 'True', lastTransitionTime: STAMP })],
            rightsSummary: { entities: 1, byKind: { Application: 1 }, namespaces: ['acme'], admin: false },
          }),
        },
      },
    ]);
  });

  test('a Collaboration: its namespaced path', async () => {
    const api = new FakeApi();
    await writer(api).sync(world(), { kind: 'Collaboration', namespace: 'acme', name: 'c-bob' }, rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO']));
    expect(api.verbs).toEqual(['PATCH /apis/charter.dev/v1alpha1/namespaces/acme/collaborations/c-bob/status']);
    expect(api.actions[0]!.body).toMatchObject({ kind: 'Collaboration', metadata: { name: 'c-bob', namespace: 'acme' } });
  });

  test('an object Charter cannot read: Ready=False (and Accepted=False for a grant) with its problems, and Stalled', async () => {
    const api = new FakeApi();
    const object: ObjectRef = { kind: 'Collaboration', namespace: 'acme', name: 'bad' };
    await writer(api).sync(world(), object, rawCollaboration('acme/bad', 'User/bob', 'Application/app1', []), { problems: ['spec.rights: expected at least 1 item'], generation: 4 });
    const status = (api.actions[0]!.body as { status: { observedGeneration: number; conditions: Array<Record<string, unknown>> } }).status;
    expect(status.observedGeneration).toBe(4);
    expect(status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'False', 'SchemaInvalid'],
      ['Ready', 'False', 'SchemaInvalid'],
      ['Stalled', 'True', 'SchemaInvalid'],
    ]);
    expect(status.conditions[0]!.message).toBe('spec.rights: expected at least 1 item');
  });
});

describe('what is left to the queue to retry, and what is not an error', () => {
  interface Row {
    name: string;
    reactor: Reactor;
    outcome: 'throws' | StatusWriteResult;
    writes: string[];
  }
  const rows: Row[] = [
    { name: '409 Conflict: throws (the queue retries with backoff)', reactor: fails(409, 'Conflict'), outcome: 'throws', writes: ['apply:conflict'] },
    { name: '500 InternalError: throws', reactor: fails(500, 'InternalError'), outcome: 'throws', writes: ['apply:error'] },
    { name: '503 ServiceUnavailable: throws', reactor: fails(503, 'ServiceUnavailable'), outcome: 'throws', writes: ['apply:error'] },
    { name: 'a timeout: throws', reactor: timesOut, outcome: 'throws', writes: ['apply:error'] },
    { name: '404 NotFound (deleted meanwhile): gone, no error', reactor: fails(404, 'NotFound'), outcome: 'gone', writes: [] },
  ];
  test.each(rows)('$name', async ({ reactor, outcome, writes }) => {
    const api = new FakeApi().on('PATCH', BOB_STATUS, reactor);
    const seen: string[] = [];
    const sync = writer(api, seen).sync(world(), BOB, rawUser('bob'));
    if (outcome === 'throws') await expect(sync).rejects.toThrow();
    else expect(await sync).toBe(outcome);
    expect(api.verbs).toEqual([`PATCH ${BOB_STATUS}`]);
    expect(seen).toEqual(writes);
  });
});

describe('a map that became empty (kubernetes/kubernetes#135841)', () => {
  /** bob's status as written when he held a right; now he holds none, so rightsSummary.byKind goes from {Application: 1} to {}. */
  const before = async (): Promise<RawObject> => rawUser('bob', {}, { status: await firstWrite(world(), BOB, rawUser('bob')) });
  const bobAlone = (): Engine => engineOf(modelOf(user('bob')), { now: NOW });

  test('removed by a merge patch first, then applied', async () => {
    const api = new FakeApi();
    const seen: string[] = [];
    expect(await writer(api, seen).sync(bobAlone(), BOB, await before())).toBe('written');
    expect(api.actions.map((a) => [a.method, a.contentType])).toEqual([
      ['PATCH', MERGE_PATCH],
      ['PATCH', APPLY_PATCH],
    ]);
    expect(api.actions[0]!.body).toEqual({ status: { rightsSummary: { byKind: null } } });
    expect(seen).toEqual(['patch:ok', 'apply:ok']);
  });

  test('the merge patch conflicts: throws before the apply', async () => {
    const api = new FakeApi().on('PATCH', BOB_STATUS, fails(409, 'Conflict'), 1);
    const seen: string[] = [];
    await expect(writer(api, seen).sync(bobAlone(), BOB, await before())).rejects.toThrow(/409/);
    expect(api.actions.map((a) => a.contentType)).toEqual([MERGE_PATCH]);
    expect(seen).toEqual(['patch:conflict']);
  });
});

describe('Events for condition changes', () => {
  const withEvents = (api: FakeApi): EventRecorder => new EventRecorder({ api, reportingInstance: 'test', now: () => NOW });
  const EVENTS = 'POST /apis/events.k8s.io/v1/namespaces/default/events';

  test('a new object that is fine from the start: no Event', async () => {
    const api = new FakeApi();
    await writer(api, [], withEvents(api)).sync(world(), BOB, rawUser('bob'));
    expect(api.verbs).toEqual([`PATCH ${BOB_STATUS}`]);
  });

  test('a warning condition appears: a Warning Event after the write', async () => {
    const engine = engineOf(modelOf(user('bob'), group('devs', { users: ['bob', 'ghost'] })), { now: NOW });
    const api = new FakeApi();
    await writer(api, [], withEvents(api)).sync(engine, { kind: 'UserGroup', name: 'devs' }, rawGroup('devs'));
    expect(api.verbs).toEqual(['PATCH /apis/charter.dev/v1alpha1/usergroups/devs/status', EVENTS]);
    expect(api.actions[1]!.body).toMatchObject({ type: 'Warning', reason: 'MissingMembers', regarding: { kind: 'UserGroup', name: 'devs' } });
  });

  test('a User whose identity another User also lists: a Warning Event (every request from it is denied)', async () => {
    const engine = engineOf(modelOf(user('bob', { identities: ['bob@example.com'] }), user('rob', { identities: ['bob@example.com'] })), { now: NOW });
    const api = new FakeApi();
    await writer(api, [], withEvents(api)).sync(engine, BOB, rawUser('bob', { identities: ['bob@example.com'] }));
    expect(api.verbs).toEqual([`PATCH ${BOB_STATUS}`, EVENTS]);
    expect(api.actions[1]!.body).toMatchObject({ type: 'Warning', reason: 'AmbiguousIdentity', regarding: { kind: 'User', name: 'bob' } });
  });

  test('an unchanged status: no Event either', async () => {
    const engine = engineOf(modelOf(user('bob'), group('devs', { users: ['bob', 'ghost'] })), { now: NOW });
    const status = await firstWrite(engine, { kind: 'UserGroup', name: 'devs' }, rawGroup('devs'));
    const api = new FakeApi();
    expect(await writer(api, [], withEvents(api)).sync(engine, { kind: 'UserGroup', name: 'devs' }, rawGroup('devs', {}, { status }))).toBe('unchanged');
    expect(api.verbs).toEqual([]);
  });
});

describe('a write the informer has not seen yet (its watch lags)', () => {
  const GRANT: ObjectRef = { kind: 'Collaboration', namespace: 'acme', name: 'c-ghost' };
  const GRANT_STATUS = '/apis/charter.dev/v1alpha1/namespaces/acme/collaborations/c-ghost/status';
  const EVENTS = 'POST /apis/events.k8s.io/v1/namespaces/acme/events';
  const PATCHED_EVENT = /^PATCH \/apis\/events\.k8s\.io\/v1\/namespaces\/acme\/events\//;
  /** A grant to ghost, who exists or not. */
  const engine = (ghostExists: boolean): Engine =>
    engineOf(modelOf(...(ghostExists ? [user('ghost')] : []), org('acme', { namespaces: ['acme'] }), collab('acme/c-ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_INFO'])), { now: NOW });
  const grant = (resourceVersion: string, status?: Record<string, unknown>, uid = 'uid-c-ghost'): RawObject =>
    rawCollaboration('acme/c-ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { resourceVersion, uid, ...(status ? { status } : {}) });
  /** A fake API server whose status writes answer increasing resourceVersions from 10. */
  const server = (): FakeApi => {
    let rv = 10;
    return new FakeApi().on('PATCH', GRANT_STATUS, () => ({ metadata: { resourceVersion: String(rv++) } }));
  };
  const statusOfWrite = (api: FakeApi, index: number): Record<string, unknown> => (api.actions.filter((a) => a.path === GRANT_STATUS)[index]!.body as { status: Record<string, unknown> }).status;

  test('the subject goes and comes back before the watch delivers the write in between: written again, with its Events', async () => {
    const api = server();
    const w = writer(api, [], new EventRecorder({ api, reportingInstance: 'test', now: () => NOW }));
    // ghost missing: False (rv 10); ghost created: True (rv 11), the informer having seen rv 10.
    expect(await w.sync(engine(false), GRANT, grant('5'))).toBe('written');
    const missing = statusOfWrite(api, 0);
    expect(await w.sync(engine(true), GRANT, grant('10', missing))).toBe('written');
    const before = api.verbs.length;
    // ghost deleted; the informer still shows rv 10 (False): against it nothing changed, but the API server holds True.
    expect(await w.sync(engine(false), GRANT, grant('10', missing))).toBe('written');
    const after = api.verbs.slice(before);
    expect(after[0]).toBe(`PATCH ${GRANT_STATUS}`);
    // The same Warnings as the first time: the first Events' series, patched.
    expect(after.slice(1).length).toBeGreaterThan(0);
    expect(after.slice(1).every((v) => PATCHED_EVENT.test(v))).toBe(true);
    expect(api.verbs.slice(0, before)).toContain(EVENTS);
  });

  test('the informer reaches the write: it is trusted again (and the write forgotten)', async () => {
    const api = server();
    const w = writer(api);
    await w.sync(engine(false), GRANT, grant('5'));
    expect(w.pendingWrites).toBe(1);
    const written = statusOfWrite(api, 0);
    expect(await w.sync(engine(false), GRANT, grant('10', written))).toBe('unchanged');
    expect(w.pendingWrites).toBe(0);
    // Someone else edits the status after that (rv 12): written back, judged against what they wrote.
    expect(await w.sync(engine(false), GRANT, grant('12', { ...written, grantedRights: ['RIGHT_ALL'] }))).toBe('written');
  });

  test('an informer object older than the write, holding what was written before it: compared with the write', async () => {
    const api = server();
    const w = writer(api);
    await w.sync(engine(true), GRANT, grant('5'));
    // The informer still shows rv 5 with no status: the write (rv 10) is what the server holds, and it is current.
    expect(await w.sync(engine(true), GRANT, grant('5'))).toBe('unchanged');
    expect(api.verbs).toEqual([`PATCH ${GRANT_STATUS}`]);
  });

  test.each([
    ['a recreated object (another uid)', grant('5', undefined, 'uid-other')],
    ['a resourceVersion that is not a decimal revision', grant('abc')],
    ['no resourceVersion', rawCollaboration('acme/c-ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { uid: 'uid-c-ghost' })],
  ])('%s: the informer object is trusted', async (_name, current) => {
    const api = server();
    const w = writer(api);
    await w.sync(engine(true), GRANT, grant('5'));
    expect(await w.sync(engine(true), GRANT, current)).toBe('written');
  });

  test('an object gone or a write answered without a resourceVersion: nothing is kept', async () => {
    const api = server();
    const w = writer(api);
    await w.sync(engine(true), GRANT, grant('5'));
    expect(await w.sync(engine(true), GRANT, undefined)).toBe('gone');
    expect(w.pendingWrites).toBe(0);
    const silent = writer(new FakeApi());
    await silent.sync(engine(true), GRANT, grant('5'));
    expect(silent.pendingWrites).toBe(0);
  });
});

describe('the watch events of its own writes (ownEcho)', () => {
  const GRANT: ObjectRef = { kind: 'Collaboration', namespace: 'acme', name: 'c-ghost' };
  const GRANT_STATUS = '/apis/charter.dev/v1alpha1/namespaces/acme/collaborations/c-ghost/status';
  const engine = (): Engine => engineOf(modelOf(user('ghost'), org('acme', { namespaces: ['acme'] }), collab('acme/c-ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_INFO'])), { now: NOW });
  const grant = (resourceVersion: string, uid = 'uid-c-ghost'): RawObject =>
    rawCollaboration('acme/c-ghost', 'User/ghost', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { resourceVersion, uid });

  test('the version its write got is its echo (once); the version before, another object, another uid are not', async () => {
    const api = new FakeApi().on('PATCH', GRANT_STATUS, () => ({ metadata: { resourceVersion: '10' } }));
    const w = writer(api);
    expect(await w.sync(engine(), GRANT, grant('5'))).toBe('written');
    expect(w.ownEcho('Collaboration', grant('5'))).toBe(false);
    expect(w.ownEcho('Collaboration', grant('10', 'uid-other'))).toBe(false);
    expect(w.ownEcho('User', { metadata: { name: 'c-ghost', resourceVersion: '10', uid: 'uid-c-ghost' } })).toBe(false);
    expect(w.ownEcho('Collaboration', grant('10'))).toBe(true);
    expect(w.pendingWrites).toBe(0); // let go: the informer shows it
    expect(w.ownEcho('Collaboration', grant('10'))).toBe(false);
  });

  describe('events that come while its write is in flight: judged at the answer', () => {
    /** A status write answered with `rv` after the watch has shown the events `heard` (resourceVersions) to the writer. */
    const inFlight = async (rv: string, ...heard: string[]): Promise<StatusWriteResult> => {
      let w: StatusWriter | undefined;
      const api = new FakeApi().on('PATCH', GRANT_STATUS, () => {
        for (const h of heard) expect(w!.ownEcho('Collaboration', grant(h))).toBe(true);
        return { metadata: { resourceVersion: rv } };
      });
      w = writer(api);
      return w.sync(engine(), GRANT, grant('5'));
    };
    test('its echo came before the answer: nothing is kept for the informer to catch up with', async () => {
      let w: StatusWriter | undefined;
      const api = new FakeApi().on('PATCH', GRANT_STATUS, () => {
        expect(w!.ownEcho('Collaboration', grant('10'))).toBe(true);
        return { metadata: { resourceVersion: '10' } };
      });
      w = writer(api);
      expect(await w.sync(engine(), GRANT, grant('5'))).toBe('written');
      expect(w.pendingWrites).toBe(0);
    });

    test('an event of another object of that name, or of another generation, is not taken for an echo', async () => {
      let w: StatusWriter | undefined;
      const answers: boolean[] = [];
      const api = new FakeApi().on('PATCH', GRANT_STATUS, () => {
        answers.push(w!.ownEcho('Collaboration', grant('8', 'uid-other')));
        answers.push(w!.ownEcho('Collaboration', { ...grant('9'), metadata: { ...grant('9').metadata, generation: 2 } }));
        return { metadata: { resourceVersion: '10' } };
      });
      w = writer(api);
      expect(await w.sync(engine(), GRANT, grant('5'))).toBe('written');
      expect(answers).toEqual([false, false]);
    });

    test.each([
      ['its echo', '10', ['10'], 'written'],
      ['the echo of an earlier write', '10', ['7'], 'written'],
      ['someone else wrote after it', '10', ['10', '11'], 'recheck'],
      ['a version that cannot be ordered', '10', ['x'], 'recheck'],
      ['nothing heard', '10', [], 'written'],
    ] as const)('%s: %s', async (_name, rv, heard, expected) => {
      expect(await inFlight(rv, ...heard)).toBe(expected);
    });
  });

  test('a failed write leaves nothing in flight: a later event is judged by what was written before', async () => {
    const api = new FakeApi().on('PATCH', GRANT_STATUS, fails(500, 'InternalError'));
    const w = writer(api);
    await expect(w.sync(engine(), GRANT, grant('5'))).rejects.toThrow();
    expect(w.ownEcho('Collaboration', grant('6'))).toBe(false);
  });
});

describe('olderThan', () => {
  test.each([
    ['9', '10', true],
    ['10', '10', false],
    ['11', '10', false],
    ['99999999999999999998', '99999999999999999999', true],
    [undefined, '10', false],
    ['', '10', false],
    ['a', '10', false],
    ['9', 'b', false],
  ] as const)('%s < %s: %s', (informer, written, expected) => {
    expect(olderThan(informer, written)).toBe(expected);
  });
});

describe('transition times', () => {
  test('a condition that flips takes the current second, as the writer’s clock moves (the formatted second is reused within a second only)', async () => {
    const engine = world();
    let clock = NOW + 400;
    const api = new FakeApi();
    const w = new StatusWriter({ api, now: () => clock });
    await w.sync(engine, BOB, rawUser('bob'));
    const first = (api.actions[0]!.body as { status: { conditions: Array<{ type: string; status: string; lastTransitionTime: string }> } }).status;
    expect(first.conditions.map((c) => c.lastTransitionTime)).toEqual(first.conditions.map(() => STAMP));
    // The cluster now holds Ready=False from before: the condition flips back, at the writer's new time.
    const flipped = { ...first, conditions: first.conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)) };
    clock = NOW + 2_500;
    await w.sync(engine, BOB, rawUser('bob', {}, { status: flipped }));
    const second = (api.actions.at(-1)!.body as { status: { conditions: Array<{ type: string; lastTransitionTime: string }> } }).status;
    expect(second.conditions.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('2026-06-01T00:00:02Z');
  });
});

describe('a spec change that moves no condition is still written: observedGeneration follows the generation', () => {
  // A User's displayName or email, a grant's expiresAt moved later: nothing the status shows moves but the
  // generations, and a status left at the old one is InProgress / Progressing (kstatus, Argo CD) for ever, and
  // `kubectl wait --for=condition=Ready` never returns.
  const bobAt = (generation: number): Engine =>
    engineOf(modelOf(user('bob', { generation }), org('acme', { namespaces: ['acme'] }), collab('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'])), { now: NOW });
  const grantAt = (generation: number, expiresAt: number): Engine =>
    engineOf(modelOf(user('bob'), collab('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { generation, expiresAt })), { now: NOW });
  const applied = (api: FakeApi) => (api.actions.at(-1)!.body as { status: { observedGeneration: number; conditions: Array<{ observedGeneration: number }> } }).status;

  test.each([
    ['a User whose displayName changed', BOB, bobAt, (g: number, status?: Record<string, unknown>) => rawUser('bob', g > 1 ? { displayName: 'Bob' } : {}, { generation: g, ...(status ? { status } : {}) })],
    [
      'a grant whose expiry moved later',
      { kind: 'Collaboration', namespace: 'acme', name: 'c-bob' } as ObjectRef,
      (g: number) => grantAt(g, NOW + g * 86_400_000),
      (g: number, status?: Record<string, unknown>) => rawCollaboration('acme/c-bob', 'User/bob', 'Application/app1', ['RIGHT_APPLICATION_INFO'], { generation: g, ...(status ? { status } : {}) }),
    ],
  ] as const)('%s', async (_what, object, engineAt, rawAt) => {
    const first = new FakeApi();
    await new StatusWriter({ api: first, now: () => NOW }).sync(engineAt(1), object, rawAt(1));
    const gen1 = applied(first);
    expect(gen1.observedGeneration).toBe(1);
    const api = new FakeApi();
    expect(await new StatusWriter({ api, now: () => NOW }).sync(engineAt(2), object, rawAt(2, gen1))).toBe('written');
    const status = applied(api);
    expect(status.observedGeneration).toBe(2);
    expect(status.conditions.every((c) => c.observedGeneration === 2)).toBe(true);
    // Apart from the generations, the same status.
    const strip = (s: typeof status) => ({ ...s, observedGeneration: 0, conditions: s.conditions.map((c) => ({ ...c, observedGeneration: 0 })) });
    expect(strip(status)).toEqual(strip(gen1));
  });
});

describe('conditions the operator does not compute (another field manager added them) are removed', () => {
  const foreign = { type: 'Stalled', status: 'True', reason: 'Foreign', message: 'written by someone else', lastTransitionTime: STAMP };
  const other = { type: 'Reconciling', status: 'True', reason: 'Foreign', message: 'also', lastTransitionTime: STAMP };

  test('the apply leaves them (server-side apply removes only what its manager alone owns): a JSON patch removes each, checked by its type', async () => {
    const engine = world();
    const status = await firstWrite(engine, BOB, rawUser('bob'));
    const conditions = status.conditions as Array<Record<string, unknown>>;
    const onServer = { ...status, conditions: [foreign, ...conditions, other] };
    const api = new FakeApi()
      .on('PATCH', BOB_STATUS, (a) => (a.contentType === APPLY_PATCH ? { metadata: { resourceVersion: '5' }, status: onServer } : { metadata: { resourceVersion: '6' }, status }));
    const writes: string[] = [];
    expect(await writer(api, writes).sync(engine, BOB, rawUser('bob', {}, { status: onServer }))).toBe('written');
    expect(api.actions.map((a) => a.contentType)).toEqual([APPLY_PATCH, JSON_PATCH]);
    const last = conditions.length + 1;
    expect(api.actions[1]!.body).toEqual([
      { op: 'test', path: `/status/conditions/${last}/type`, value: 'Reconciling' },
      { op: 'remove', path: `/status/conditions/${last}` },
      { op: 'test', path: '/status/conditions/0/type', value: 'Stalled' },
      { op: 'remove', path: '/status/conditions/0' },
    ]);
    expect(writes).toEqual(['apply:ok', 'patch:ok']);
    expect(foreignConditions(status, conditions as Array<{ type: string }>)).toBeUndefined();
  });

  test('a condition the operator wrote and no longer computes is removed by the apply itself: no patch', async () => {
    const engine = world();
    const status = await firstWrite(engine, BOB, rawUser('bob'));
    const api = new FakeApi().on('PATCH', BOB_STATUS, () => ({ metadata: { resourceVersion: '5' }, status }));
    const held = { ...status, conditions: [...(status.conditions as unknown[]), foreign] };
    expect(await writer(api).sync(engine, BOB, rawUser('bob', {}, { status: held }))).toBe('written');
    expect(api.actions.map((a) => a.contentType)).toEqual([APPLY_PATCH]);
  });

  test('the patch refused (the list changed since: its test fails): thrown, for the queue to retry', async () => {
    const engine = world();
    const status = await firstWrite(engine, BOB, rawUser('bob'));
    const onServer = { ...status, conditions: [...(status.conditions as unknown[]), foreign] };
    const api = new FakeApi().on('PATCH', BOB_STATUS, (a) => {
      if (a.contentType === APPLY_PATCH) return { metadata: { resourceVersion: '5' }, status: onServer };
      return fails(422, 'Invalid')(a);
    });
    const writes: string[] = [];
    await expect(writer(api, writes).sync(engine, BOB, rawUser('bob', {}, { status: onServer }))).rejects.toThrow(/422/);
    expect(writes).toEqual(['apply:ok', 'patch:error']);
  });
});
