import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readSchema } from '../../../src/api/kinds.ts';
import { parseTimestamp, TIMESTAMP_PATTERN } from '../../../src/api/timestamp.ts';
import { toModelObject } from '../../../src/model/to-model-object.ts';
import { charter } from '../cli/support.ts';
import { ACCEPTED, REFUSED } from './timestamp-cases.ts';

const grant = (expiresAt: unknown): Record<string, unknown> => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'c', namespace: 'acme' },
  spec: { subject: { kind: 'User', name: 'alice' }, target: { kind: 'Application', name: 'app1' }, rights: ['RIGHT_APPLICATION_INFO'], expiresAt },
});

describe('one timestamp parser for schema and runtime', () => {
  test('the schema carries the parser’s pattern (and the CRD with it)', () => {
    const common = readSchema('common.schema.json') as { $defs: { timestamp: { pattern: string; format: string } } };
    expect(common.$defs.timestamp.pattern).toBe(TIMESTAMP_PATTERN);
    expect(common.$defs.timestamp.format).toBe('date-time');
  });

  test.each(ACCEPTED)('%s is %s', (text, iso) => {
    expect(new Date(parseTimestamp(text)!).toISOString()).toBe(iso);
    expect(toModelObject(grant(text))).toMatchObject({ ok: true, object: { expiresAt: Date.parse(iso) } });
  });

  test.each(REFUSED)('%j is refused by the parser and by validation, naming the field', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
    const result = toModelObject(grant(text));
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.problems).toEqual([expect.stringMatching(/^spec\.expiresAt: expected an RFC 3339 date-time with a time zone/)]);
  });

  test('whatever the schema accepts, the model gets a number (never NaN), equal to Date.parse where that agrees', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0002-01-01T00:00:00Z'), max: new Date('9998-12-31T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: -1439, max: 1439 }), (date, offsetMinutes) => {
        const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        expect(parseTimestamp(text)).toBe(date.getTime());
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const ms = parseTimestamp(text);
        if (ms !== undefined) expect(Number.isFinite(ms)).toBe(true);
        const result = toModelObject(grant(text));
        expect(result.ok ? Number.isFinite(result.object.kind === 'Collaboration' && result.object.expiresAt) : true).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('--at', () => {
  const manifests = 'examples/the-things-stack';
  test.each(['2027-01-01T00:00:00', '2027-02-30T00:00:00Z', '2016-12-31T23:59:60Z'])('%s: exit 2, naming --at', async (at) => {
    const run = await charter('can', manifests, '--user', 'bob', '--on', 'Application/acme/app1', '--at', at);
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual([expect.stringMatching(/^charter: --at: expected an RFC 3339 date-time with a time zone.*found "/)]);
  });
  test('with an offset: the same instant as in UTC, whatever the machine’s time zone', async () => {
    const a = await charter('explain', manifests, '--user', 'bob', '--on', 'Application/acme/app1', '--at', '2027-01-01T02:00:00+02:00');
    expect(a.stdout[0]).toContain('at 2027-01-01T00:00:00.000Z');
  });
});
