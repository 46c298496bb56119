import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compiledJava, javaBin } from '../../scripts/kafka/jvm';
import { LIBS_DIR } from '../../scripts/kafka/topology';

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
  /** With ReadOptions.registry: the value's Confluent frame, decoded by the referee on its own (null: not framed). */
  frame?: RefereeFrame | null;
}

/** A framed value as the referee decoded it: Avro with Apache Avro's Java library, JSON as text. */
export interface RefereeFrame {
  schemaId: number;
  schemaType: 'AVRO' | 'JSON' | string;
  /** The schema the registry has under the id. */
  schema: string;
  /** Avro: the record's fields. */
  decoded?: Record<string, unknown>;
  /** JSON Schema: the payload's text. */
  payload?: string;
  error?: string;
}

export interface ReadOptions {
  partition?: number;
  /** The first offset to read (default: the beginning). */
  from?: number;
  count?: number;
  timeoutMs?: number;
  /** Consumer properties, e.g. security.protocol=SASL_PLAINTEXT. */
  properties?: Record<string, string>;
  /** A schema registry's base URL: decode framed values with the schemas it has (RefereeRecord.frame). */
  registry?: string;
}

const SOURCE = path.resolve(__dirname, 'referee', 'Referee.java');

/**
 * The client's jars and its codecs (and Apache Avro, to decode framed values), not the broker's 90: the JVM starts a second sooner without
 * scanning them and configuring log4j.
 */
const CLIENT_JARS = /^(kafka-clients|jackson-(core|databind|annotations)|slf4j-api|lz4-java|snappy-java|zstd-jni|avro)-[\d.]+.*\.jar$/;

interface Pending {
  resolve(answer: RefereeAnswer): void;
  reject(error: Error): void;
}
type RefereeAnswer = { records: RefereeRecord[] } | { ends: Record<string, number> } | { error: string };

/** One referee JVM per test process, serving requests in turn over stdin and stdout, started on first use. */
class RefereeProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private buffered = '';
  private stderr = '';

  async ask(request: Record<string, unknown>, timeoutMs: number): Promise<RefereeAnswer> {
    const child = await this.start();
    this.hold(child, true);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`The referee did not answer within ${timeoutMs} ms: ${JSON.stringify(request)}\n${this.stderr.slice(-2_000)}`));
      }, timeoutMs);
      timer.unref();
      this.pending.push({
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  private async start(): Promise<ChildProcessWithoutNullStreams> {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const { classpath, mainClass } = await compiledJava(SOURCE);
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const jars = fs
      .readdirSync(LIBS_DIR)
      .filter((file) => CLIENT_JARS.test(file))
      .map((file) => path.join(LIBS_DIR, file));
    const classes = classpath.split(path.delimiter).slice(1);
    // C1 and the serial collector: a JVM that reads a few records starts on half the CPU.
    const jvm = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx512m', '-cp', [...jars, ...classes].join(path.delimiter), mainClass];
    const child = spawn(javaBin(), jvm, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        this.pending.shift()?.resolve(JSON.parse(line) as RefereeAnswer);
        if (this.pending.length === 0) this.hold(child, false);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-10_000);
    });
    child.on('exit', (code) => {
      for (const waiting of this.pending.splice(0))
        waiting.reject(new Error(`The referee exited (${code}):\n${this.stderr.slice(-2_000)}`));
    });
    process.once('exit', () => child.kill());
    return child;
  }

  /** Holds the event loop open only while an answer is awaited: an idle referee never keeps a process alive. */
  private hold(child: ChildProcessWithoutNullStreams, waiting: boolean): void {
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref?(): void; unref?(): void }[]) {
      if (waiting) handle.ref?.();
      else handle.unref?.();
    }
  }
}

const shared = new RefereeProcess();

async function referee(request: Record<string, unknown>, timeoutMs: number): Promise<RefereeAnswer> {
  const answer = await shared.ask(request, timeoutMs + 30_000);
  if ('error' in answer) throw new Error(`The referee (Kafka's Java consumer) failed: ${JSON.stringify(request)}: ${answer.error}`);
  return answer;
}

/** Records of a topic (or one partition), up to the end offsets it had when the read began. */
export async function readTopic(bootstrap: string, topic: string, options: ReadOptions = {}): Promise<RefereeRecord[]> {
  const { timeoutMs = 60_000, ...rest } = options;
  const answer = await referee({ command: 'read', bootstrap, topic, timeoutMs, ...rest }, timeoutMs);
  return (answer as { records: RefereeRecord[] }).records;
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
  const answer = (await referee({ command: 'end-offsets', bootstrap, topic, timeoutMs: 30_000 }, 30_000)) as {
    ends: Record<string, number>;
  };
  return new Map(Object.entries(answer.ends).map(([partition, end]) => [Number(partition), end]));
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
