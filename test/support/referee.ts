import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { compiledJava, javaBin } from '../../scripts/kafka/jvm';
import { LIBS_DIR } from '../../scripts/kafka/topology';

const execFileAsync = promisify(execFile);

/** A record as Kafka's own Java consumer read it (test/support/referee/Referee.java). */
export interface RefereeRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  /** Milliseconds since the epoch: the producer's create time, or the broker's append time. */
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
}

export interface ReadOptions {
  partition?: number;
  /** The first offset to read (default: the beginning). */
  from?: number;
  count?: number;
  timeoutMs?: number;
  /** Consumer properties, e.g. security.protocol=SASL_PLAINTEXT. */
  properties?: Record<string, string>;
}

const SOURCE = path.resolve(__dirname, 'referee', 'Referee.java');

/**
 * The client's jars and its codecs, not the broker's 90: the JVM starts a second sooner without
 * scanning them and configuring log4j.
 */
const CLIENT_JARS = /^(kafka-clients|jackson-(core|databind|annotations)|slf4j-api|lz4-java|snappy-java|zstd-jni)-[\d.]+.*\.jar$/;

async function referee(args: string[], timeoutMs: number): Promise<string> {
  const { classpath, mainClass } = await compiledJava(SOURCE);
  const jars = fs
    .readdirSync(LIBS_DIR)
    .filter((file) => CLIENT_JARS.test(file))
    .map((file) => path.join(LIBS_DIR, file));
  const classes = classpath.split(path.delimiter).slice(1);
  // C1 and the serial collector: a short-lived JVM starts on half the CPU.
  const jvm = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx512m', '-cp', [...jars, ...classes].join(path.delimiter), mainClass];
  try {
    const { stdout } = await execFileAsync(javaBin(), [...jvm, ...args], { maxBuffer: 1 << 30, timeout: timeoutMs + 30_000 });
    return stdout;
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`The referee (Kafka's Java consumer) failed: ${args.slice(0, 3).join(' ')}\n${stderr.slice(-2_000)}`);
  }
}

const propertyArgs = (properties: Record<string, string> = {}) =>
  Object.entries(properties).flatMap(([key, value]) => ['--property', `${key}=${value}`]);

/** Records of a topic (or one partition), up to the end offsets it had when the read began. */
export async function readTopic(bootstrap: string, topic: string, options: ReadOptions = {}): Promise<RefereeRecord[]> {
  const { partition, from, count, timeoutMs = 60_000, properties } = options;
  const args = ['read', bootstrap, topic, '--timeout-ms', String(timeoutMs), ...propertyArgs(properties)];
  if (partition !== undefined) args.push('--partition', String(partition));
  if (from !== undefined) args.push('--from', String(from));
  if (count !== undefined) args.push('--count', String(count));
  const stdout = await referee(args, timeoutMs);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RefereeRecord);
}

/** The record at a partition and offset, as a receipt names it. */
export async function readRecordAt(
  bootstrap: string,
  topic: string,
  partition: number,
  offset: number,
  properties?: Record<string, string>,
): Promise<RefereeRecord> {
  const [record] = await readTopic(bootstrap, topic, {
    partition,
    from: offset,
    count: 1,
    timeoutMs: 20_000,
    ...(properties ? { properties } : {}),
  });
  if (!record || record.offset !== offset) throw new Error(`No record at ${topic} [${partition}] offset ${offset}`);
  return record;
}

/** The end offset (high watermark) of each partition. */
export async function endOffsets(bootstrap: string, topic: string): Promise<Map<number, number>> {
  const stdout = await referee(['end-offsets', bootstrap, topic], 30_000);
  return new Map(Object.entries(JSON.parse(stdout) as Record<string, number>).map(([partition, end]) => [Number(partition), end]));
}

/**
 * Records by partition and offset, for tests that check many receipts: the topic is read once
 * (a JVM start each time), and read again only when a record asked for is not in the last read.
 */
export class TopicReader {
  private records = new Map<string, RefereeRecord>();

  constructor(
    readonly bootstrap: string,
    readonly topic: string,
    private readonly properties?: Record<string, string>,
  ) {}

  async at(partition: number, offset: number): Promise<RefereeRecord> {
    const key = `${partition}:${offset}`;
    if (!this.records.has(key)) {
      const records = await readTopic(this.bootstrap, this.topic, this.properties ? { properties: this.properties } : {});
      this.records = new Map(records.map((record) => [`${record.partition}:${record.offset}`, record]));
    }
    const record = this.records.get(key);
    if (!record) throw new Error(`No record at ${this.topic} [${partition}] offset ${offset}`);
    return record;
  }
}
