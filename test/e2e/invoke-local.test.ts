import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `sls invoke local` with the sample events of events/: it prints the answer, then exits within a
 * second or so. (It used to wait ten minutes, until the broker reaped the warm producer's
 * connections: kafkajs keeps an interval per connection.)
 */
const ROOT = path.resolve(__dirname, '../..');

function invokeLocal(fn: string, event: string): Promise<{ output: string; answeredAt: number; exitedAt: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(ROOT, 'node_modules', '.bin', 'serverless'),
      ['invoke', 'local', '-f', fn, '-p', path.join('events', event), '--param', `kafkaBrokers=${process.env.KAFKA_BROKERS}`],
      { cwd: ROOT, env: { ...process.env, ESBUILD_WORK_FOLDER: `.esbuild-invoke-${fn}`, SLS_TELEMETRY_DISABLED: '1' } },
    );
    let output = '';
    let answeredAt = 0;
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answeredAt && /"statusCode": \d{3}/.test(output)) answeredAt = Date.now();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ output, answeredAt, exitedAt: Date.now(), code }));
  });
}

describe('sls invoke local with the sample events', () => {
  it.each([
    // The producer, and the admin client: each holds connections open.
    ['publishOrder', 'publish-order.json', 201],
    ['health', 'health.json', 200],
  ])('%s with events/%s prints %i and exits within about a second', { timeout: 120_000 }, async (fn, event, status) => {
    const { output, answeredAt, exitedAt, code } = await invokeLocal(fn, event);
    expect(output).toContain(`"statusCode": ${status}`);
    expect(code, output.slice(-2_000)).toBe(0);
    expect(exitedAt - answeredAt).toBeLessThan(2_000);
  });
});
