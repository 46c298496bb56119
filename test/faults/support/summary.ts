import type { BatchCheckResult } from './batch-checker';
import type { CheckResult } from './checker';

export interface CaseRow {
  name: string;
  check: CheckResult;
  /** The batch clients' orders, where the case ran them. */
  batches?: BatchCheckResult;
  /** null where the case has no fault that ends (the bad-input and load runs). */
  recoverySeconds: number | null;
}

const COLUMNS: [string, (row: CaseRow) => string | number][] = [
  ['case', (row) => row.name],
  ['orders', (row) => row.check.requests],
  ['requests', (row) => row.check.attempts],
  ['retried', (row) => row.check.retried],
  ['2xx', (row) => row.check.success],
  ['4xx', (row) => row.check.clientError],
  ['503/409 at last', (row) => row.check.unavailable],
  ['504 at last', (row) => row.check.outcomeUnknown + row.check.noAnswer],
  ['other', (row) => row.check.other],
  ['lost', (row) => row.check.lost],
  ['duplicated', (row) => row.check.duplicated],
  ['misplaced', (row) => row.check.misplaced],
  ['out of order', (row) => row.check.outOfOrder],
  ['504 in topic', (row) => row.check.unknownWritten],
  ['504 written after answer', (row) => row.check.unknownWrittenAfterAnswer],
  ['503 in topic', (row) => row.check.unavailableWritten],
  ['unexplained', (row) => row.check.unexplained],
  [
    'keys with 0 / 1 / >1 records',
    (row) => `${row.check.keysWithRecords.none} / ${row.check.keysWithRecords.one} / ${row.check.keysWithRecords.more}`,
  ],
  ['recovery (s)', (row) => (row.recoverySeconds === null ? '-' : row.recoverySeconds.toFixed(1))],
  // The batch clients (support/batch-checker.ts), per order of every batch; '-' where a run has none.
  ['batches / requests / 207s', (row) => batchCell(row, (b) => `${b.batches} / ${b.requests} / ${b.partialAnswers}`)],
  ['batch orders', (row) => batchCell(row, (b) => b.orders)],
  ['exactly once', (row) => batchCell(row, (b) => b.exactlyOnce)],
  ['batch lost', (row) => batchCell(row, (b) => b.lost)],
  ['batch duplicated', (row) => batchCell(row, (b) => b.duplicated)],
  ['receipt mismatches', (row) => batchCell(row, (b) => b.receiptMismatch)],
  ['batch out of order', (row) => batchCell(row, (b) => b.outOfOrder)],
  ['batch other', (row) => batchCell(row, (b) => b.other)],
  ['not written, in topic', (row) => batchCell(row, (b) => b.notWrittenInTopic)],
  ['unknown, found in log', (row) => batchCell(row, (b) => b.unknownFound)],
  ['unfinished batches', (row) => batchCell(row, (b) => b.unfinished)],
];

function batchCell(row: CaseRow, value: (batches: BatchCheckResult) => string | number): string | number {
  return row.batches ? value(row.batches) : '-';
}

/** A Markdown table: it reads in a terminal and pastes into an issue or the README. */
export function summaryTable(rows: readonly CaseRow[]): string {
  const cells = [COLUMNS.map(([title]) => title), ...rows.map((row) => COLUMNS.map(([, value]) => String(value(row))))];
  const widths = COLUMNS.map((_, column) => Math.max(...cells.map((line) => (line[column] ?? '').length)));
  const line = (values: string[]) =>
    `| ${values.map((value, column) => (column === 0 ? value.padEnd(widths[column] ?? 0) : value.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const [header = [], ...body] = cells;
  const rule = `|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** Non-2xx answers grouped by status and the problem's detail (numbers and addresses blanked), most frequent first. */
export function failureReasons(invocations: readonly { status: number; body: unknown }[]): string {
  const counts = new Map<string, number>();
  for (const { status, body } of invocations) {
    if (status >= 200 && status < 300) continue;
    const problemDetail = (body as { detail?: unknown } | null)?.detail;
    // Not a problem document (serverless-offline's own answers): show the body itself.
    const detail = (typeof problemDetail === 'string' ? problemDetail : JSON.stringify(body).slice(0, 200))
      .replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<broker>')
      .replace(/\d+/g, 'N');
    const key = `${status} ${detail}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `  ${String(count).padStart(5)} × ${key}`)
    .join('\n');
}
