import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/controller/logger.ts';
import { createMetrics, initQueueMetrics, initWatchMetrics } from '../../../src/controller/metrics.ts';
import { capturingLogger } from './support.ts';

describe('createMetrics', () => {
  test('registers every metric once per registry: a second call returns the same metrics', () => {
    const registry = new Registry();
    const a = createMetrics(registry);
    expect(createMetrics(registry)).toBe(a);
    expect(createMetrics(new Registry())).not.toBe(a);
  });

  test('pre-initialises known label sets with zeros', async () => {
    const registry = new Registry();
    const m = createMetrics(registry);
    initQueueMetrics(m, 'charter');
    initWatchMetrics(m, 'User');
    const text = await registry.metrics();
    for (const line of [
      'charter_reconcile_total{kind="User",result="success"} 0',
      'charter_reconcile_total{kind="Collaboration",result="error"} 0',
      'charter_reconcile_errors_total{kind="Organization"} 0',
      'charter_reconcile_duration_seconds_count{kind="UserGroup"} 0',
      'charter_engine_duration_seconds_count{operation="build"} 0',
      'charter_engine_duration_seconds_count{operation="apply"} 0',
      'charter_api_writes_total{kind="status",verb="apply",result="conflict"} 0',
      'charter_api_writes_total{kind="lease",verb="update",result="success"} 0',
      'charter_workqueue_depth{name="charter"} 0',
      'charter_workqueue_adds_total{name="charter"} 0',
      'charter_workqueue_retries_total{name="charter"} 0',
      'charter_workqueue_queue_duration_seconds_count{name="charter"} 0',
      'charter_workqueue_work_duration_seconds_count{name="charter"} 0',
      'charter_watch_restarts_total{resource="User",reason="expired"} 0',
      'charter_watch_restarts_total{resource="User",reason="stalled"} 0',
      'charter_leader 0',
      'charter_events_dropped_total 0',
      'charter_admission_requests_total{kind="User",operation="CREATE",verdict="allowed",reason="Platform"} 0',
      'charter_admission_requests_total{kind="Collaboration",operation="DELETE",verdict="denied",reason="LastOwner"} 0',
      'charter_admission_requests_total{kind="unknown",operation="unknown",verdict="error",reason="Malformed"} 0',
      'charter_admission_requests_total{kind="User",operation="UPDATE",verdict="error",reason="DecisionFailed"} 0',
      'charter_admission_duration_seconds_count{kind="UserGroup",operation="UPDATE"} 0',
      'charter_admission_changes_given_up_total{source="platform",reason="expired"} 0',
      'charter_admission_changes_given_up_total{source="platform",reason="evicted"} 0',
      'charter_admission_changes_given_up_total{source="judged",reason="expired"} 0',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain('# TYPE charter_permission_map_bytes gauge');
    expect(text).toContain('# TYPE charter_reconcile_duration_seconds histogram');
  });

  test('kinds and process metrics are options', async () => {
    const registry = new Registry();
    createMetrics(registry, { kinds: ['Namespace'], processMetrics: true });
    const text = await registry.metrics();
    expect(text).toContain('charter_reconcile_total{kind="Namespace",result="success"} 0');
    expect(text).not.toContain('kind="User"');
    expect(text).toContain('process_cpu_seconds_total');
  });
});

describe('createLogger', () => {
  test('writes one JSON object per line with level, message, fields and a timestamp', () => {
    const { logger, lines } = capturingLogger();
    logger.info('informer synced', { resource: 'User', objects: 3 });
    logger.debug('details');
    logger.error('failed', { error: 'boom' });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ level: 'info', message: 'informer synced', resource: 'User', objects: 3, timestamp: expect.any(String) });
    expect(Number.isNaN(Date.parse(String(lines[0]!.timestamp)))).toBe(false);
  });

  test('rejects an unknown level, naming the valid ones', () => {
    expect(() => createLogger('loud')).toThrow('Log level must be one of error, warn, info, http, verbose, debug, silly, silent; found "loud"');
  });

  test('silent logs nothing', () => {
    expect(createLogger('silent').silent).toBe(true);
  });
});
