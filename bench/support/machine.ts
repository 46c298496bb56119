import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
  node: string;
  java: string;
  kcat: string;
  /** 1-minute load average at the start and the end: other work on the machine skews every number. */
  loadAverage: { start: number; end?: number };
}

function firstLine(command: string, args: string[], stream: 'stdout' | 'stderr' = 'stdout', pattern?: RegExp): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return 'not found';
  const lines = `${result[stream]}`.split('\n').map((line) => line.trim());
  return (pattern ? lines.find((line) => pattern.test(line)) : lines.find(Boolean)) ?? 'unknown';
}

function kcatVersion(): string {
  const line = firstLine('kcat', ['-V'], 'stdout', /librdkafka/);
  const match = /Version (\S+).*librdkafka (\S+)/.exec(line);
  return match ? `kcat ${match[1]} (librdkafka ${match[2]})` : line;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: firstLine('java', ['-version'], 'stderr'),
    kcat: kcatVersion(),
    loadAverage: { start: os.loadavg()[0] ?? Number.NaN },
  };
}

/** One line for the table's caption. */
export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.os}; Node ${machine.node}; ${machine.java}; ${machine.kcat}; load average ${machine.loadAverage.start.toFixed(2)} at the start${machine.loadAverage.end === undefined ? '' : `, ${machine.loadAverage.end.toFixed(2)} at the end`}`;
}
