import { describe, expect, it } from 'vitest';
import { makeHealthHandler } from '../../handlers/health';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { ScramSecret } from '../../lib/kafka/auth';
import { createRuntime } from '../../lib/runtime';
import { captureOutput } from '../support/captured-output';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';

/**
 * A sentinel credential, followed through everything the service writes and answers while it
 * fails to reach Kafka with it. Nothing may ever contain it.
 */
const SENTINEL_PASSWORD = 'Sentinel-Pa55word-3f9c81d2';
const SENTINEL_USERNAME = 'sentinel-user-77ab';
const output = captureOutput();

describe('credentials never leave the process', () => {
  it('are in no log line and no response, at DEBUG, when Kafka cannot be reached with them', async () => {
    // Prepare: SCRAM against a port where nothing listens, logging everything.
    const config = parseConfig({
      KAFKA_AUTH: 'scram',
      KAFKA_SCRAM_SECRET_ARN: 'AmazonMSK_sentinel',
      KAFKA_TLS: 'false',
      KAFKA_BROKERS: '127.0.0.1:1',
      LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const scramSecret = new ScramSecret('AmazonMSK_sentinel', async () =>
      JSON.stringify({ username: SENTINEL_USERNAME, password: SENTINEL_PASSWORD }),
    );
    const runtime = createRuntime(config, { security: { scramSecret } });
    // Act
    const responses = [
      await makePublishOrderHandler(runtime.publishDeps)(postEvent(exampleOrder()), lambdaContext(3_000)),
      await makePublishOrdersBatchHandler(runtime.publishDeps)(postEvent({ orders: [exampleOrder()] }), lambdaContext(3_000)),
      await makeHealthHandler({ ...runtime.publishDeps, publisher: runtime.publisher, timeoutMs: 1_000 })(),
    ];
    await runtime.publisher.close();
    // Assess: the failures were real and logged...
    expect(responses.map((response) => response.statusCode)).toEqual([503, 503, 503]);
    expect(output.written.join('')).toContain('ECONNREFUSED');
    expect(output.written.length).toBeGreaterThan(3);
    // ...and nothing carries the credentials.
    for (const text of [...output.written, ...responses.map((response) => JSON.stringify(response))]) {
      expect(text).not.toContain(SENTINEL_PASSWORD);
    }
  });
});
