// The live status of one device on a terminal stream: redrawn in place on a TTY ("\r" + clear line)
// a few times a second, one plain line every N seconds otherwise (logs, CI). Log lines are printed
// above the status line so the two never run into each other. The words come from the core's
// formatStatus, which the firmware traces too.

const TTY_REDRAW_MS = 250;
const CLEAR_LINE = "\r\x1b[2K";

export interface StatusStream {
  isTTY?: boolean;
  /** Terminal width: a wrapped status line could not be redrawn in place. */
  columns?: number;
  write(text: string): unknown;
}

export class StatusLine {
  private readonly stream: StatusStream;
  private readonly render: () => string;
  private readonly everyMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;

  constructor(stream: StatusStream, render: () => string, everyMs: number) {
    this.stream = stream;
    this.render = render;
    this.everyMs = everyMs;
  }

  start(): void {
    const tty = this.stream.isTTY === true;
    this.timer = setInterval(() => this.draw(), tty ? TTY_REDRAW_MS : this.everyMs);
    this.timer.unref();
    if (tty) this.draw();
  }

  /** Prints a line (a log message) without breaking the status line. */
  print(line: string): void {
    if (this.shown) this.stream.write(CLEAR_LINE);
    this.stream.write(line + "\n");
    if (this.shown) this.stream.write(this.fitted());
  }

  /** Stops redrawing, leaving the final status on its own line. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.shown) this.stream.write("\n");
    this.shown = false;
  }

  private fitted(): string {
    const line = this.render();
    const width = this.stream.columns ?? 0;
    return width > 1 && line.length >= width ? line.slice(0, width - 2) + "…" : line;
  }

  private draw(): void {
    if (this.stream.isTTY === true) {
      this.stream.write(CLEAR_LINE + this.fitted());
      this.shown = true;
    } else {
      this.stream.write(this.render() + "\n");
    }
  }
}
