/**
 * The operator's structured logger: one JSON object per line on stdout, as log collectors in a cluster expect.
 *
 *   const log = createLogger('info');
 *   log.info('informer synced', { resource: 'users', objects: 12 });
 *   // {"level":"info","message":"informer synced","resource":"users","objects":12,"timestamp":"…"}
 */
import type { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;

/** winston's npm levels, most to least severe, and `silent` (logs nothing: for tests). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** Where lines go instead of stdout (tests capture them). */
  stream?: Writable;
  /** Fields on every line, e.g. `{ component: 'charter-operator' }`. */
  defaultMeta?: Record<string, unknown>;
}

/**
 * A winston logger writing JSON lines at `level` and above.
 *
 * @example
 *   const log = createLogger(process.env.CHARTER_LOG_LEVEL ?? 'info');
 *   log.warn('watch restarted', { resource: 'users', reason: 'stalled' });
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  if (!isLogLevel(level)) {
    throw new RangeError(`Log level must be one of ${LOG_LEVELS.join(', ')}; found "${level}"`);
  }
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: options.defaultMeta,
    transports: [transport],
  });
}
