import type { APIGatewayProxyResult } from 'aws-lambda';
import type { BenchPlan } from '../plan';
import type { Timings } from '../support/measure';
import { type LatencySummary, summarize } from '../support/stats';

/** What the parent passes to each child case that talks to Kafka. */
export interface KafkaCaseInput {
  plan: BenchPlan;
  bootstrap: string;
  topic: string;
}

export interface TimedSummary {
  latency: LatencySummary;
  /** Mean CPU time of the whole process per call, in ms. */
  cpuMs: number;
}

export function timedSummary({ wallMs, cpuMs }: Timings): TimedSummary {
  return { latency: summarize(wallMs), cpuMs: summarize(cpuMs).mean };
}

/** A benchmark of failures would measure nothing: any unexpected answer stops the case. */
export function expectStatus(response: APIGatewayProxyResult, status: number): void {
  if (response.statusCode !== status) throw new Error(`Expected ${status}, got ${response.statusCode}: ${response.body}`);
}
