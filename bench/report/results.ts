import type { BatchResult } from '../cases/batch.child';
import type { ReferenceRate } from '../cases/batch-references';
import type { ColdStartResult, MemoryResult } from '../cases/bundle';
import type { CodecsResult } from '../cases/codecs.child';
import type { ConnectResult } from '../cases/connect.child';
import type { CpuResult } from '../cases/cpu.child';
import type { HttpResult } from '../cases/http';
import type { IdleResult } from '../cases/idle.child';
import type { KeysResult } from '../cases/keys.child';
import type { RegistryResult } from '../cases/registry.child';
import type { SingleResult } from '../cases/single.child';
import type { BenchPlan, CaseId } from '../plan';
import type { MachineInfo } from '../support/machine';

/** Everything one run measured: bench/results/latest.json. */
export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  smoke: boolean;
  machine: MachineInfo;
  broker: { bootstrap: string; topic: string; version: string };
  plan: BenchPlan;
  single?: SingleResult;
  cpu?: CpuResult;
  connect?: ConnectResult;
  http?: HttpResult;
  batch?: { node?: BatchResult; references: ReferenceRate[]; confluent: string };
  cold?: ColdStartResult;
  memory?: MemoryResult;
  keys?: KeysResult;
  codecs?: CodecsResult;
  idle?: IdleResult;
  registry?: RegistryResult;
  /** Cases that could not finish, and why: the others still ran. */
  failures: { case: CaseId; message: string }[];
}

/** The targets, in one place. */
export const TARGETS = {
  handlerOverheadP50: 1.1,
  handlerCpuMs: 0.2,
  warmOverConnectP50: 10,
  batchFractionOfJava: 0.5,
  batchFractionOfBare: 0.85,
  bundleKb: 300,
  moduleLoadMs: 100,
  firstAckMs: 300,
  rssMb: 100,
  /** RSS growth between the middle and the end of case 6 that still counts as flat. */
  flatRssGrowthMb: 2,
} as const;
