import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/**
 * kafkajs 2.2.4 re-arms a timer after every check of a connection's queue, even an empty one, and
 * with a negative delay, so each connection polls every millisecond for as long as it is open
 * (npm run bench, case 9: docs/performance.md), and on Node 24 logs a TimeoutNegativeWarning in
 * every execution environment (kafkajs#1704, #1751; the fixes in #1755 and #1768 are unreleased).
 * With nothing pending and no throttle to wait out there is nothing to check: a new request is
 * sent at once or queued, and queueing schedules the check itself. Throttled or with requests
 * pending, kafkajs's own schedule applies.
 */
export function stopIdlePolling(): void {
  const prototype = RequestQueue.prototype as RequestQueue & { [patched]?: true };
  if (prototype[patched]) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  prototype[patched] = true;
}

const patched = Symbol.for('order-publisher.kafkajs.stopIdlePolling');
