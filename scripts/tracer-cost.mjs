#!/usr/bin/env node
// What Powertools Tracer would cost the publish handler: the bundle, zipped, and the module-load
// time over 20 fresh processes, with and without it, built as serverless-esbuild builds it.
// Run: node scripts/tracer-cost.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(root, '.tracer-cost-'));
const variants = {
  without: `export { handler } from '../handlers/publish-order';`,
  'with Tracer': `import { Tracer } from '@aws-lambda-powertools/tracer';\nexport { handler } from '../handlers/publish-order';\nexport const tracer = new Tracer({ serviceName: 'order-publisher' });`,
};

function loadTimesMs(file) {
  const env = { ...process.env, LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' };
  const script = `const s=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-s)/1e6)`;
  return Array.from({ length: 20 }, () => Number(execFileSync(process.execPath, ['-e', script], { env })));
}

try {
  const rows = [];
  for (const [name, source] of Object.entries(variants)) {
    const entry = join(work, `${name.replaceAll(' ', '-')}.ts`);
    const outfile = entry.replace(/\.ts$/, '.js');
    writeFileSync(entry, source);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      logLevel: 'error',
    });
    const times = loadTimesMs(outfile);
    rows.push({
      variant: name,
      'bundle KB': (statSync(outfile).size / 1024).toFixed(1),
      'deflated KB': (deflateRawSync(readFileSync(outfile), { level: 9 }).length / 1024).toFixed(1),
      'load ms (mean of 20)': (times.reduce((sum, time) => sum + time, 0) / times.length).toFixed(1),
    });
  }
  console.table(rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}
