import { describe, expect, it } from 'vitest';
import { brokerLimits, parseStormArgs } from '../../../bench/storm/flags';
import type { EnvironmentRecord } from '../../../bench/storm/messages';
import { peakInWindow, peakOverlap, summarize } from '../../../bench/storm/report';
import type { SocketTrace } from '../../../bench/storm/sockets';

describe('peakOverlap', () => {
  it('counts the most intervals open at once, a close before an open at the same moment', () => {
    // Act
    const peak = peakOverlap([
      [0, 10],
      [5, 15],
      [10, 20],
      [12, 13],
    ]);
    // Assess
    expect(peak).toBe(3);
  });

  it('is 0 without intervals', () => {
    expect(peakOverlap([])).toBe(0);
  });
});

describe('peakInWindow', () => {
  it('finds the busiest second anywhere, not only on whole seconds', () => {
    // Act
    const peak = peakInWindow([100, 900, 1_050, 1_099, 1_100, 3_000]);
    // Assess: [900, 1_900) holds 4; whole seconds would see at most 3 ([1_000, 2_000)), and 1_100 is
    // a full second after 100, so no window holds 5.
    expect(peak).toBe(4);
  });
});

describe('summarize', () => {
  const env = (id: number, first: number, startedAt = 1_000): EnvironmentRecord => ({
    id,
    worker: 1,
    scheduledAt: startedAt - 1,
    startedAt,
    first: { status: first, answeredAt: startedAt + 100 * (id + 1) },
    ...(first === 201 ? { firstOkAt: startedAt + 100 * (id + 1) } : {}),
    sent: 2,
    acked: first === 201 ? 2 : 1,
    failures: first === 201 ? {} : { '503: Kafka did not accept a connection': 1 },
  });
  const socket = (envId: number | null, port: number, connectAt: number | undefined, closeAt?: number, error?: string): SocketTrace => ({
    env: envId,
    port,
    attemptAt: (connectAt ?? 1_000) - 1,
    ...(connectAt === undefined ? {} : { connectAt, firstDataAt: connectAt + 2 }),
    ...(closeAt === undefined ? {} : { closeAt }),
    ...(error ? { error } : {}),
  });

  it('reports the issue fields: acked, failed, first ack, connections per environment and per broker', () => {
    // Prepare
    const options = parseStormArgs(['--environments', '3']);
    const sockets = [
      socket(0, 1, 1_010),
      socket(0, 2, 1_020),
      socket(1, 1, 1_015, 1_030),
      socket(1, 1, 1_040),
      socket(2, 1, undefined, 1_100, 'abandoned'),
      // Connected, never answered: it waited in the broker's listen queue until the client gave up.
      { env: 2, port: 2, attemptAt: 1_049, connectAt: 1_050, closeAt: 4_050 },
    ];
    // Act
    const report = summarize({
      options,
      limits: brokerLimits(options),
      brokers: [
        { id: 1, port: 1 },
        { id: 2, port: 2 },
      ],
      environments: [env(0, 201), env(1, 201), env(2, 503)],
      sockets,
      endAt: 5_000,
    });
    // Assess
    expect(report).toMatchObject({
      environments: 3,
      acked: 2,
      failed: 1,
      firstAckMs: { p50: 100, p99: 200, max: 200 },
      // env 0: 2 at once; env 1: 1 (one replaced another); env 2: 1, in the listen queue.
      connectionsPerEnvironment: 1.33,
      perBroker: [
        {
          id: 1,
          peakConnections: 2,
          peakNewConnectionsPerSecond: 3,
          attempts: 4,
          established: 3,
          accepted: 3,
          tcp: { peakConnections: 2, peakNewConnectionsPerSecond: 3 },
          firstConnectionOf: 3,
        },
        {
          id: 2,
          peakConnections: 1,
          peakNewConnectionsPerSecond: 1,
          attempts: 2,
          established: 2,
          accepted: 1,
          tcp: { peakConnections: 2, peakNewConnectionsPerSecond: 2 },
          firstConnectionOf: 0,
        },
      ],
      limits: { maxConnectionsPerBroker: 9 },
      firstFailures: { '503: Kafka did not accept a connection': 1 },
      orders: { sent: 6, acked: 5, failed: 1 },
      connections: { maxPerEnvironment: 2, peakHistogram: { '1': 2, '2': 1 }, failedAttempts: { abandoned: 1 }, unattributed: 0 },
    });
  });
});
