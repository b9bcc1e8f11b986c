/** Timestamp cases shared by the offline test (timestamp.test.ts) and the API server test (offline-equals-online). */

/** Timestamps the API server refuses (with the schema's pattern), and so does everything offline. */
export const REFUSED = [
  '2016-12-31T23:59:60Z', // a leap second: the API server's check stops at :59, Date.parse refuses it
  '2027-02-30T00:00:00Z', // no such day
  '2027-02-29T00:00:00Z', // not a leap year
  '2100-02-29T00:00:00Z', // a century that is not a leap year
  '2027-04-31T00:00:00Z',
  '2027-01-01T24:00:00Z',
  '2027-01-01T00:00:00', // no time zone: the answer would depend on the machine's
  '2027-01-01 00:00:00Z',
  '2027-01-01T00:00Z',
  '2027-01-01T00:00:00+99:99', // the API server's format alone takes this; the pattern does not
  '2027-01-01T00:00:00x5Z', // likewise ('.' in its pattern is any character)
  '2027-01-01T00:00:00Zt', // likewise (it reads up to a second 't')
  '2027-01-01T00:00:00.1234567891Z',
  '2027-13-01T00:00:00Z',
  '+002027-01-01T00:00:00Z',
  'tomorrow',
  '',
];

/** Timestamps both accept, with the instant they stand for. */
export const ACCEPTED: Array<[string, string]> = [
  ['2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
  ['2027-01-01t00:00:00z', '2027-01-01T00:00:00.000Z'],
  ['2028-02-29T12:30:00+02:00', '2028-02-29T10:30:00.000Z'],
  ['2000-02-29T00:00:00-00:30', '2000-02-29T00:30:00.000Z'],
  ['2027-01-01T00:00:00.5Z', '2027-01-01T00:00:00.500Z'],
  ['2027-01-01T00:00:00.000000001Z', '2027-01-01T00:00:00.001Z'], // rounded up: still after 00:00:00.000
  ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ['0099-06-15T00:00:00Z', '0099-06-15T00:00:00.000Z'], // not read as 1999
];
