import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { withAdmin } from '../../scripts/kafka/admin';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { createTopic } from '../support/keyed-runtime';

/**
 * `npm run tail` as a developer runs it: a child process beside the real handler, on a topic of
 * the file's own, printing what the handler wrote where its receipts say.
 */
const bootstrap = process.env.KAFKA_BROKERS as string;
let topic: string;
let runtime: Runtime;
const tails: Tail[] = [];

interface Receipt {
  partition: number;
  offset: number;
  key: string;
  event_id: string;
}

interface Tail {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  /** The --json lines printed so far. */
  records(): Record<string, unknown>[];
}

beforeAll(async () => {
  topic = await createTopic(bootstrap, 'tail');
  runtime = createRuntime(parseConfig({ KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, LOG_LEVEL: 'SILENT' }));
});

afterEach(() => {
  // A failed test leaves no tail running.
  for (const tail of tails.splice(0)) tail.child.kill('SIGKILL');
});

afterAll(async () => {
  await runtime.publisher.close();
});

async function publish(order = exampleOrder()): Promise<Receipt & { order: typeof order }> {
  const response = await makePublishOrderHandler(runtime.publishDeps)(postEvent(order), lambdaContext());
  expect(response.statusCode, response.body).toBe(201);
  return { ...(JSON.parse(response.body) as Receipt), order };
}

/** Starts the tail and waits until it says it follows the topic: from then on, every record is shown. */
async function startTail(...flags: string[]): Promise<Tail> {
  const child = spawn('node_modules/.bin/tsx', ['scripts/tail.ts', '--topic', topic, '--json', ...flags], {
    env: { ...process.env, KAFKA_BROKERS: bootstrap },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: Tail = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    records: () =>
      tail.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
  tails.push(tail);
  child.stdout.on('data', (chunk) => {
    tail.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    tail.stderr += chunk;
  });
  await expect.poll(() => tail.stderr, { timeout: 20_000, interval: 50 }).toContain(`Following ${topic} (3 partitions)`);
  return tail;
}

/** What the tail should print for a record the handler wrote. */
function shown({ partition, offset, key, event_id, order }: Receipt & { order: unknown }) {
  return expect.objectContaining({ partition, offset, key, headers: expect.objectContaining({ 'event-id': event_id }), order });
}

async function interrupt(tail: Tail): Promise<{ code: number | null; ms: number }> {
  const signalled = Date.now();
  tail.child.kill('SIGINT');
  const code = await tail.exited;
  return { code, ms: Date.now() - signalled };
}

/** The client ids of the members of every consumer group the broker knows. */
async function groupMembers(): Promise<string[]> {
  return withAdmin(bootstrap, async (admin) => {
    const { groups } = await admin.listGroups();
    const { groups: described } = await admin.describeGroups(groups.map(({ groupId }) => groupId));
    return described.flatMap(({ members }) => members.map(({ clientId }) => clientId));
  });
}

describe('npm run tail', () => {
  it('shows, from now, each record where its receipt says, and exits 0 on Ctrl-C', async () => {
    // Prepare: a record from before the tail started, which it must not show.
    const before = await publish({ ...exampleOrder(), order_id: 'before-tail' });
    const tail = await startTail();
    // Act
    const first = await publish({ ...exampleOrder(), order_id: 'tail-1' });
    const second = await publish({ ...exampleOrder(), order_id: 'tail-2', user_id: 'another-user' });
    // Assess
    await expect.poll(() => tail.records().length, { timeout: 10_000, interval: 50 }).toBe(2);
    expect(tail.records()).toEqual(expect.arrayContaining([shown(first), shown(second)]));
    const [record] = tail.records().filter(({ offset, partition }) => partition === first.partition && offset === first.offset);
    expect(new Date(record?.timestamp as string).toISOString()).toBe(record?.timestamp);
    expect(record?.headers).toMatchObject({ 'event-type': 'order.placed', 'content-type': 'application/json' });
    expect(tail.records()).not.toContainEqual(shown(before));
    expect(await groupMembers()).not.toContain('order-events-tail');
    const { code, ms } = await interrupt(tail);
    expect(code, tail.stderr).toBe(0);
    expect(ms).toBeLessThan(2_000);
  });

  it('with --from-beginning, shows what the topic already holds, then what comes', async () => {
    // Prepare
    const earlier = await publish({ ...exampleOrder(), order_id: 'earlier' });
    const tail = await startTail('--from-beginning');
    // Act
    const later = await publish({ ...exampleOrder(), order_id: 'later' });
    // Assess: everything of the earlier test too, each partition in offset order.
    await expect.poll(() => tail.records(), { timeout: 10_000, interval: 50 }).toContainEqual(shown(later));
    expect(tail.records()).toContainEqual(shown(earlier));
    expect(tail.records().length).toBeGreaterThanOrEqual(5);
    for (const partition of [0, 1, 2]) {
      const offsets = tail.records().flatMap((record) => (record.partition === partition ? [record.offset as number] : []));
      expect(offsets, `partition ${partition}`).toEqual(offsets.map((_, index) => index));
    }
    const { code, ms } = await interrupt(tail);
    expect(code, tail.stderr).toBe(0);
    expect(ms).toBeLessThan(2_000);
  });

  it('stops on SIGTERM too', async () => {
    const tail = await startTail();
    const signalled = Date.now();
    tail.child.kill('SIGTERM');
    expect(await tail.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(2_000);
  });
});
