import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('SIGTERM, as Lambda sends it before shutting an environment down', () => {
  it('disconnects the warm producer and exits 0 within the 500 ms Lambda allows', async () => {
    // Prepare: a process with a connected producer.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/sigterm-child.ts'], {
      env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'publishOrder', LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('published 201');
    // Act
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    // Assess
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(500);
    expect(output).toContain('SIGTERM: the Kafka clients are disconnected');
  });
});
