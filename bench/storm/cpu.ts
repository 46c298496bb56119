import fs from 'node:fs';

/** The machine's CPU time so far, all processes, in seconds (from /proc/stat, in USER_HZ = 100 ticks). */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu | undefined {
  try {
    const [, ...fields] = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const ticks = fields.slice(0, 8).map(Number);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return undefined;
  }
}

/** Busy CPU-seconds between two samples, and the fraction of the machine it was. */
export function busyBetween(before: MachineCpu | undefined, after: MachineCpu | undefined): { seconds: number; fraction: number } {
  if (!before || !after || after.total <= before.total) return { seconds: Number.NaN, fraction: Number.NaN };
  const seconds = after.busy - before.busy;
  return { seconds: Number(seconds.toFixed(1)), fraction: Number((seconds / (after.total - before.total)).toFixed(2)) };
}

/** This process's own CPU time, in seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
