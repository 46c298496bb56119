/**
 * Progress on stderr, so stdout keeps only the final table. On a terminal one line is redrawn in
 * place; in a log (CI, a pipe) a line is printed at each quarter, so the log stays short.
 */
export class Progress {
  private stepStarted = Date.now();
  private label = '';
  private lastQuarter = -1;
  private lastDetail = '';
  private lastDraw = 0;
  private step = 0;

  constructor(
    private readonly steps: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Starts the next step of the run. */
  begin(label: string): void {
    this.endLine();
    this.step++;
    this.label = label;
    this.stepStarted = Date.now();
    this.lastQuarter = -1;
    this.lastDetail = '';
    this.out.write(`[${this.step}/${this.steps}] ${label}${this.out.isTTY ? '' : '\n'}`);
  }

  /** `done` of `total` units of the current step; `detail` says which part of it runs. */
  update(done: number, total: number, detail = ''): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const text = `[${this.step}/${this.steps}] ${this.label}${detail ? ` · ${detail}` : ''}: ${done}/${total} (${Math.round(fraction * 100)}%)`;
    if (this.out.isTTY) {
      // At most ten redraws a second: a case may report thousands of steps.
      if (Date.now() - this.lastDraw < 100 && done < total) return;
      this.lastDraw = Date.now();
      this.out.write(`\r\x1b[K${text} ${this.elapsed()}`);
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (quarter !== this.lastQuarter || detail !== this.lastDetail) {
      this.lastQuarter = quarter;
      this.lastDetail = detail;
      this.out.write(`  ${text}\n`);
    }
  }

  /** A line of its own, kept in the log: what a step found or decided. */
  note(text: string): void {
    this.endLine();
    this.out.write(`  ${text}\n`);
    if (this.out.isTTY) this.out.write(`[${this.step}/${this.steps}] ${this.label}`);
  }

  /** Ends the current step with a one-line summary. */
  finish(summary: string): void {
    this.endLine();
    this.out.write(`  ✓ ${summary} (${((Date.now() - this.stepStarted) / 1000).toFixed(1)} s)\n`);
    this.label = '';
  }

  private elapsed(): string {
    return `${((Date.now() - this.stepStarted) / 1000).toFixed(0)} s`;
  }

  private endLine(): void {
    if (this.out.isTTY && this.label) this.out.write('\n');
  }
}
