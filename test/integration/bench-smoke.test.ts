import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run bench` with tiny counts, against the test broker: keeps the benchmark from rotting.
 * It asserts that every case ran and reported, never how fast: timings belong to the bench, not
 * to tests. serverless-offline (case 3) is left out to stay within about 20 s; the e2e tests
 * cover serving through it.
 */
const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run bench -- --smoke', () => {
  it('runs every case but HTTP and writes the JSON, the table and the chart', { timeout: 90_000 }, () => {
    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--cases', 'warm,cpu,connect,batch,cold,memory,registry', '--out', outDir],
      { encoding: 'utf8', env: process.env, timeout: 85_000 },
    );
    // Assess
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    const results = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
    expect(results.failures).toEqual([]);
    expect(Object.keys(results)).toEqual(expect.arrayContaining(['single', 'cpu', 'connect', 'batch', 'cold', 'memory', 'registry']));
    // Kafka's Java producer is measured (its jars come with the broker); kcat is optional, and
    // where it is not installed its row says so instead of failing the run.
    const references: { id: string; skipped?: string }[] = results.batch.references;
    expect(references).toHaveLength(3);
    expect(references.filter((reference) => reference.skipped === undefined).map((reference) => reference.id)).toEqual(
      expect.arrayContaining(['java-perf', 'java-batches']),
    );
    for (const { skipped } of references.filter((reference) => reference.skipped !== undefined)) {
      expect(skipped).toMatch(/^kcat not installed: an optional reference/);
    }
    expect(results.cold.zips.map((zip: { name: string }) => zip.name)).toContain('publishOrder');
    // The case column is as wide as its widest number (10).
    expect(run.stdout).toMatch(/\| 1 +\| warm handler, in-process/);
    expect(run.stdout).toMatch(/\| 6 +\| RSS after 200 publishes/);
    expect(run.stdout).toMatch(/\| 10 \| registry mode: batch of 500, Avro, framed/);
    expect(readFileSync(path.join(outDir, 'chart.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(existsSync(path.join(outDir, 'latest.md'))).toBe(true);
  });
});
