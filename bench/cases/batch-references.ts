// Case 4, the references: Kafka's own Java producer and kcat (librdkafka) on the same broker,
// with the same 200-byte order values (and, where the tool allows, the same keys and headers).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { javaBin } from '../../scripts/kafka/jvm';
import { LIBS_DIR } from '../../scripts/kafka/topology';
import { benchOrder, KEY_COUNT, recordHeaders, SAMPLE_EVENT_ID } from '../support/orders';
import { runOrThrow } from '../support/spawn';
import { perSecond, sum } from '../support/stats';

export interface ReferenceRate {
  id: string;
  label: string;
  records: number;
  recordsPerSecond: number;
  /** Why it was not measured, instead of a rate. */
  skipped?: string;
}

export interface ReferenceInput {
  bootstrap: string;
  topic: string;
  batchSize: number;
  batchWarmup: number;
  batchIterations: number;
  records: number;
  oneBatchJvm: boolean;
  /** A scratch folder for the record files. */
  workDir: string;
  repoRoot: string;
}

/** One record a line: key TAB value (kcat, BatchProducer.java), and the values alone (ProducerPerformance). */
function writeRecordFiles(workDir: string, count: number): { keyed: string; values: string; distinct: string } {
  const lines = Array.from({ length: KEY_COUNT }, (_, index) => {
    const order = benchOrder(index);
    return { key: order.user_id, value: JSON.stringify(order) };
  });
  const files = {
    keyed: path.join(workDir, 'records.tsv'),
    values: path.join(workDir, 'values.txt'),
    distinct: path.join(workDir, 'distinct.tsv'),
  };
  writeFileSync(files.values, `${lines.map((line) => line.value).join('\n')}\n`);
  writeFileSync(files.distinct, `${lines.map((line) => `${line.key}\t${line.value}`).join('\n')}\n`);
  const all = Array.from({ length: count }, (_, index) => lines[index % lines.length] as { key: string; value: string });
  writeFileSync(files.keyed, `${all.map((line) => `${line.key}\t${line.value}`).join('\n')}\n`);
  return files;
}

const PRODUCER_PERFORMANCE_LINE = /(\d+) records sent, ([\d.]+) records\/sec/;

/** ProducerPerformance, as Kafka ships it: one JVM, its own rate (from its first send to its last ack). */
async function producerPerformance(input: ReferenceInput, libs: string, valuesFile: string, records: number): Promise<number> {
  const { stdout } = await runOrThrow(
    javaBin(),
    [
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      input.topic,
      '--num-records',
      String(records),
      '--payload-file',
      valuesFile,
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${input.bootstrap}`,
      'acks=-1',
    ],
    { timeoutMs: 180_000 },
  );
  const match = PRODUCER_PERFORMANCE_LINE.exec(stdout.trim().split('\n').at(-1) ?? '');
  if (!match) throw new Error(`Unexpected ProducerPerformance output:\n${stdout.slice(-1_000)}`);
  return Number(match[2]);
}

/** bench/java/BatchProducer.java: the Java producer shaped like the batch handler (warm, batches acknowledged one by one). */
async function javaBatches(input: ReferenceInput, libs: string, distinctFile: string): Promise<number> {
  const source = path.join(input.repoRoot, 'bench', 'java', 'BatchProducer.java');
  const args = [input.bootstrap, input.topic, distinctFile, input.batchSize, input.batchWarmup, input.batchIterations].map(String);
  const { stdout } = await runOrThrow(javaBin(), ['-cp', `${libs}/*`, source, ...args], { timeoutMs: 180_000 });
  const { batchMs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { batchMs: number[] };
  return perSecond(input.batchSize * batchMs.length, sum(batchMs));
}

/** kcat in one process, from its start to its exit: it waits until every record is acknowledged. */
async function kcat(input: ReferenceInput, keyedFile: string, records: number): Promise<number> {
  const headers = Object.entries(recordHeaders(SAMPLE_EVENT_ID)).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const args = [
    '-P',
    '-q',
    '-b',
    input.bootstrap,
    '-t',
    input.topic,
    '-K',
    '\t',
    '-X',
    'acks=all',
    '-X',
    'enable.idempotence=true',
    ...headers,
  ];
  const { wallMs } = await runOrThrow('kcat', [...args, '-l', keyedFile], { timeoutMs: 180_000 });
  return perSecond(records, wallMs);
}

function commandExists(command: string): boolean {
  if (path.isAbsolute(command)) return existsSync(command);
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => existsSync(path.join(dir, command)));
}

/** kcat answers its version: on PATH is not enough (a stand-in that fails may be there). */
const kcatWorks = () => spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

/** Each reference in turn; one that cannot run is reported as skipped, with the reason. */
export async function measureReferences(input: ReferenceInput, onStep: (label: string) => void): Promise<ReferenceRate[]> {
  const libs = LIBS_DIR;
  const hasTools = existsSync(libs) && readdirSync(libs).some((file) => file.startsWith('kafka-tools-'));
  const files = writeRecordFiles(input.workDir, input.records);
  const noJava = !commandExists(javaBin())
    ? 'java not found'
    : !hasTools
      ? `no kafka-tools jar in ${libs} (npm run kafka:start resolves it)`
      : undefined;
  const references: { id: string; label: string; records: number; skip?: string; measure: () => Promise<number> }[] = [
    {
      id: 'java-perf',
      label: `Java ProducerPerformance, ${input.records.toLocaleString('en')} records in one JVM`,
      records: input.records,
      ...(noJava ? { skip: noJava } : {}),
      measure: () => producerPerformance(input, libs, files.values, input.records),
    },
    {
      id: 'java-perf-one-batch',
      label: `Java ProducerPerformance, ${input.batchSize} records (a cold JVM)`,
      records: input.batchSize,
      ...(noJava ? { skip: noJava } : {}),
      measure: () => producerPerformance(input, libs, files.values, input.batchSize),
    },
    {
      id: 'java-batches',
      label: `Java KafkaProducer, warm, batches of ${input.batchSize} flushed one by one`,
      records: input.batchSize * input.batchIterations,
      ...(noJava ? { skip: noJava } : {}),
      measure: () => javaBatches(input, libs, files.distinct),
    },
    {
      id: 'kcat',
      label: `kcat (librdkafka), ${input.records.toLocaleString('en')} records, process start to exit`,
      records: input.records,
      ...(kcatWorks() ? {} : { skip: 'kcat not installed: an optional reference (apt-get install kcat)' }),
      measure: () => kcat(input, files.keyed, input.records),
    },
  ];
  const rates: ReferenceRate[] = [];
  const wanted = references.filter((reference) => reference.id !== 'java-perf-one-batch' || input.oneBatchJvm);
  for (const { id, label, records, skip, measure } of wanted) {
    onStep(label);
    if (skip) rates.push({ id, label, records, recordsPerSecond: Number.NaN, skipped: skip });
    else rates.push({ id, label, records, recordsPerSecond: await measure() });
  }
  return rates;
}
