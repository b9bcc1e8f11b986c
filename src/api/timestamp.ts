/**
 * The one timestamp parser: RFC 3339 date-times as the API server accepts them for `format: date-time`, narrowed
 * by a pattern the schemas carry too (src/api/common.schema.json `$defs/timestamp`), so that every string the CRD
 * accepts is one this parser turns into a number, and offline validation accepts exactly what the API server does.
 *
 * The API server's date-time check (kube-openapi strfmt.IsDateTime) takes a calendar-valid date, hours ≤ 23,
 * minutes and seconds ≤ 59 (no leap second `:60`), a `T` or `t`, a `Z`/`z` or a `±hh:mm` offset — and, loosely,
 * offsets like `+99:99`, any character before the fraction, and text after a second `t`. The pattern closes those
 * loose ends (the CRD carries it, so the API server refuses them as well); the format check adds the calendar
 * (February 30 does not exist; February 29 only in leap years), which a pattern cannot say.
 */

/** The pattern of `$defs/timestamp` (RE2-compatible: the API server evaluates it too). A test keeps them equal. */
export const TIMESTAMP_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';

const SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const PATTERN = new RegExp(TIMESTAMP_PATTERN);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Milliseconds since the epoch, or undefined when `text` is not a timestamp the API server would store.
 * A fraction finer than a millisecond is rounded up: for every whole-millisecond evaluation time t,
 * "expiresAt is after t" keeps its answer (an instant 0.4 ms after t is still after t).
 */
export function parseTimestamp(text: string): number | undefined {
  if (!PATTERN.test(text)) return undefined;
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (day > daysInMonth(year, month)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0–99 as 1900–1999
  date.setUTCHours(hour, minute, second, 0);
  const fraction = m[7] === undefined ? 0 : Math.ceil(Number(m[7].padEnd(9, '0')) / 1e6);
  const offset = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  return date.getTime() + fraction - offset;
}

/** Whether the API server (with the schema's pattern) and this parser accept `text`: the ajv format `date-time`. */
export function isTimestamp(text: string): boolean {
  return parseTimestamp(text) !== undefined;
}

/** How messages describe the expected form. */
export const TIMESTAMP_EXPECTED = 'an RFC 3339 date-time with a time zone such as 2027-01-01T00:00:00Z (a real calendar date, seconds 00–59)';
