// npm run bench:registry-clients: the three ways issue 18 offered to talk to the schema registry,
// measured the same way (docs/performance.md, "The registry client"). Each does what a cold
// Lambda of ours does: the subject's latest schema id, then one order framed in Avro. Measured:
// the installed size, the bundle as serverless.yml builds it (esbuild, minified, node24, cjs,
// @aws-sdk/* left to the Lambda runtime) and zipped, the time to load it in a fresh Node, and the
// first framed order. The two libraries are installed into a scratch folder, not the project.
// Needs a registry: SCHEMA_REGISTRY_URL, else the local one (npm run registry -- start).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { Deadline } from '../lib/deadline';
import { ORDER_AVRO_SCHEMA } from '../lib/orders/avro-schema';
import { RegistryClient } from '../lib/schema/registry-client';
import { devRegistry } from '../scripts/registry/local-registry';

const ROOT = path.resolve(__dirname, '..');
const LIBRARIES = { kafkajs: '@kafkajs/confluent-schema-registry@4.1.0', confluent: '@confluentinc/schemaregistry@1.10.1' };
const ORDER = { order_id: '12345', user_id: 'user789', product: 'Laptop', quantity: 1, amount: 75000 };
const LOADS = 7;

const ENTRIES: Record<string, { label: string; nodePath?: string; source: string }> = {
  rest: {
    label: 'REST over node:http + avsc types (ours: lib/schema/)',
    source: `
const { RegistryClient } = require(${JSON.stringify(path.join(ROOT, 'lib/schema/registry-client.ts'))});
const { Deadline } = require(${JSON.stringify(path.join(ROOT, 'lib/deadline.ts'))});
const { schemaFormat } = require(${JSON.stringify(path.join(ROOT, 'lib/schema/formats.ts'))});
const { frame } = require(${JSON.stringify(path.join(ROOT, 'lib/schema/framing.ts'))});
exports.run = async (url, subject, order) => {
  const { id } = await new RegistryClient({ url }).latest(subject, new Deadline(Date.now() + 5000));
  return frame(id, schemaFormat('avro').encode(order));
};`,
  },
  kafkajs: {
    label: LIBRARIES.kafkajs,
    source: `
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry');
exports.run = async (url, subject, order) => {
  const registry = new SchemaRegistry({ host: url });
  return registry.encode(await registry.getLatestSchemaId(subject), order);
};`,
  },
  confluent: {
    label: LIBRARIES.confluent,
    source: `
const { SchemaRegistryClient, AvroSerializer, SerdeType } = require('@confluentinc/schemaregistry');
exports.run = async (url, subject, order) => {
  const serializer = new AvroSerializer(new SchemaRegistryClient({ baseURLs: [url] }), SerdeType.VALUE, {
    useLatestVersion: true, autoRegisterSchemas: false, subjectNameStrategyType: 1 /* TOPIC: Apicurio has no /associations */,
  });
  return serializer.serialize(subject.replace(/-value$/, ''), order);
};`,
  },
};

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

async function main() {
  const url = process.env.SCHEMA_REGISTRY_URL || (await devRegistry.start()).url;
  const subject = `registry-clients-${Date.now()}-value`;
  await new RegistryClient({ url }).register(
    subject,
    { schema: JSON.stringify(ORDER_AVRO_SCHEMA), schemaType: 'AVRO' },
    new Deadline(Date.now() + 10_000),
  );
  const work = mkdtempSync(path.join(os.tmpdir(), 'registry-clients-'));
  try {
    const installed: Record<string, number> = { rest: duBytes(path.join(ROOT, 'node_modules', 'avsc')) };
    for (const [name, spec] of Object.entries(LIBRARIES)) {
      const dir = path.join(work, name);
      console.error(`npm install ${spec} …`);
      execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', spec], {
        stdio: 'ignore',
      });
      installed[name] = duBytes(path.join(dir, 'node_modules'));
      const entry = ENTRIES[name];
      if (entry) entry.nodePath = path.join(dir, 'node_modules');
    }
    const rows: string[] = [];
    const frames: Record<string, string> = {};
    for (const [name, entry] of Object.entries(ENTRIES)) {
      const source = path.join(work, `${name}.js`);
      const out = path.join(work, `${name}.bundle.js`);
      writeFileSync(source, entry.source);
      await build({
        entryPoints: [source],
        outfile: out,
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node24',
        format: 'cjs',
        external: ['@aws-sdk/*'],
        nodePaths: [entry.nodePath ?? path.join(ROOT, 'node_modules')],
        logLevel: 'error',
      });
      const bundleBytes = statSync(out).size;
      const zippedBytes = deflateRawSync(readFileSync(out), { level: 9 }).length;
      // A fresh Node each time: require() of the bundle, then the first framed order.
      const loads: number[] = [];
      const firsts: number[] = [];
      for (let index = 0; index < LOADS; index++) {
        const probe = spawnSync(
          process.execPath,
          [
            '-e',
            `const t0=performance.now();const m=require(${JSON.stringify(out)});const t1=performance.now();m.run(${JSON.stringify(url)},${JSON.stringify(subject)},${JSON.stringify(ORDER)}).then(b=>{console.log(JSON.stringify({load:t1-t0,first:performance.now()-t1,frame:b.toString('hex')}))})`,
          ],
          // The confluent client needs the Lambda runtime's @aws-sdk/client-kms even unused: its own install has it.
          { encoding: 'utf8', env: { ...process.env, NODE_PATH: entry.nodePath ?? '' } },
        );
        if (probe.status !== 0) throw new Error(`${name}: ${probe.stderr}`);
        const report = JSON.parse(probe.stdout) as { load: number; first: number; frame: string };
        loads.push(report.load);
        firsts.push(report.first);
        frames[name] = report.frame;
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
      rows.push(
        `| ${entry.label} | ${((installed[name] as number) / 1e6).toFixed(1)} MB | ${(bundleBytes / 1024).toFixed(0)} KB | ${(zippedBytes / 1024).toFixed(0)} KB | ${median(loads).toFixed(0)} ms | ${median(firsts).toFixed(0)} ms |`,
      );
    }
    const same = new Set(Object.values(frames)).size === 1;
    console.log(`Registry ${url}, subject ${subject}, Node ${process.version}, ${new Date().toISOString()}\n`);
    console.log('| client | installed | bundle | zipped | load (median of 7) | first framed order (median) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const line of rows) console.log(line);
    console.log(`\nThe three frames are ${same ? 'identical' : 'NOT identical'}: ${Object.values(frames)[0]}`);
    if (!same) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
