/**
 * Renders progress events the way docker compose does: a live list on a terminal (listr2), plain
 * lines (` Container web-1  Started`), JSON lines, or nothing.
 */
import {
  DefaultRenderer,
  Listr,
  ListrLogger,
  PRESET_TIMER,
  ProcessOutput,
  type ListrRendererFactory,
  type ListrRendererValue,
  type ListrTask,
  type ListrTaskWrapper,
} from 'listr2';

import type { OperationEvent, OperationStatus, ProgressEvent } from './progress-event.js';
import type { ProgressDisplay } from './progress-mode.js';

export interface ProgressRenderer {
  event(event: ProgressEvent): void;
  /** Ends the display (the terminal list settles on its summary) and prints the warnings it held. */
  stop(): Promise<void>;
}

export interface ProgressOptions {
  display: ProgressDisplay;
  /** Where plain and JSON lines go (stderr in the CLI). */
  write: (text: string) => void;
  /** Where the terminal list is drawn; process.stderr by default. */
  stream?: NodeJS.WriteStream;
  /** The verb of the summary line, `[+] Running 3/3`. */
  title?: string;
  dryRun?: boolean;
  /** Clock of the JSON warnings' `time`. */
  now?: () => Date;
  /** listr2 renderer of the terminal list; without a terminal listr2 falls back to `verbose`. */
  renderer?: 'default' | 'simple' | 'verbose';
}

const DRY_RUN_PREFIX = 'DRY-RUN MODE -';

export function createProgress(options: ProgressOptions): ProgressRenderer {
  switch (options.display) {
    case 'quiet':
      return { event: () => undefined, stop: async () => undefined };
    case 'plain':
      return lineRenderer((event) => plainLine(event, options.dryRun ?? false), options.write);
    case 'json':
      return lineRenderer((event) => jsonLine(event, options), options.write);
    case 'tty':
      return new TtyProgress(options);
  }
}

function lineRenderer(
  format: (event: ProgressEvent) => string,
  write: (text: string) => void,
): ProgressRenderer {
  return { event: (event) => write(`${format(event)}\n`), stop: async () => undefined };
}

/** ` Container web-1  Started`, compose's plain writer (its leading space is the empty dry-run prefix). */
export function plainLine(event: ProgressEvent, dryRun = false): string {
  const prefix = dryRun ? DRY_RUN_PREFIX : '';
  if (event.type === 'warning') return `${prefix}WARNING: ${event.message}`;
  const message = event.message ? ` ${event.message}` : '';
  return `${prefix} ${event.resource}  ${event.text}${message}`;
}

/** Compose's JSON progress (`id`, `text`, `status`), and its JSON log format for warnings. */
export function jsonLine(
  event: ProgressEvent,
  options: Pick<ProgressOptions, 'dryRun' | 'now'> = {},
): string {
  const dryRun = options.dryRun ? { 'dry-run': true } : {};
  if (event.type === 'warning') {
    const time = (options.now?.() ?? new Date()).toISOString();
    return JSON.stringify({ ...dryRun, level: 'warning', msg: event.message, time });
  }
  return JSON.stringify({
    ...dryRun,
    id: event.resource,
    text: event.text,
    ...(event.message ? { status: event.message } : {}),
  });
}

type Task = ListrTask<unknown, ListrRendererFactory, ListrRendererFactory>;
type TaskWrapper = ListrTaskWrapper<unknown, ListrRendererFactory, ListrRendererFactory>;

/** One resource's line of the terminal list; its task ends when the line first reaches a final status. */
class ResourceLine {
  status: OperationStatus = 'working';
  text = '';
  message: string | undefined;
  task: TaskWrapper | undefined;
  readonly finished: Promise<OperationStatus>;
  private settle: (status: OperationStatus) => void = () => undefined;

  constructor(readonly resource: string) {
    this.finished = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  update(event: OperationEvent): void {
    this.status = event.status;
    this.text = event.text;
    this.message = event.message;
    if (event.status !== 'working') this.settle(event.status);
  }

  /** Ends a line the caller left working (e.g. after an abort) without claiming it succeeded. */
  abandon(): void {
    this.settle('skipped');
  }

  title(width: number): string {
    const message = this.message ? ` ${this.message}` : '';
    return `${this.resource.padEnd(width)}  ${this.text}${message}`;
  }
}

/**
 * The terminal list: a header task `[+] Running n/m` and one task per resource. Resources appear while
 * the list runs, and listr2 runs a fixed set of tasks, so each batch of new resources comes with a
 * title-less task that waits for the next batch; listr2 draws a title-less task's subtasks at its own
 * level, so the list stays flat.
 */
class TtyProgress implements ProgressRenderer {
  private readonly lines = new Map<string, ResourceLine>();
  private readonly queued: ResourceLine[] = [];
  private readonly warnings: string[] = [];
  private header: TaskWrapper | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: () => void = () => undefined;
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  event(event: ProgressEvent): void {
    if (event.type === 'warning') {
      this.warnings.push(event.message);
      return;
    }
    let line = this.lines.get(event.id);
    // The list has ended: listr2 cannot take new tasks any more.
    if (line === undefined && this.stopped) return;
    if (line === undefined) {
      line = new ResourceLine(event.resource);
      this.lines.set(event.id, line);
      this.queued.push(line);
      this.start();
      this.wake();
    }
    line.update(event);
    this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const line of this.lines.values()) line.abandon();
    this.wake();
    await this.running;
    for (const warning of this.warnings) this.stream.write(`WARNING: ${warning}\n`);
  }

  private start(): void {
    if (this.running !== undefined) return;
    const logger = new ListrLogger({
      processOutput: new ProcessOutput(this.stream, this.stream),
      useIcons: true,
    });
    const listr = new Listr<unknown, ListrRendererValue, ListrRendererValue>(
      [
        {
          title: this.headerTitle(),
          task: (_context, task: TaskWrapper) => {
            this.header = task;
            task.title = this.headerTitle();
            return this.nextBatch(task);
          },
        },
      ],
      {
        renderer:
          (this.options.renderer ?? 'default') === 'default' ? CoalescingRenderer : this.options.renderer,
        fallbackRenderer: 'verbose',
        // The title already carries the error or skip text: show it, not listr2's copy of the message.
        rendererOptions: {
          logger,
          collapseSubtasks: false,
          collapseErrors: false,
          showErrorMessage: false,
          collapseSkips: false,
          showSkipMessage: false,
          timer: PRESET_TIMER,
        },
        fallbackRendererOptions: { logger },
        exitOnError: false,
        // The CLI owns Ctrl-C: the first stops gracefully, the second kills.
        registerSignalListeners: false,
      },
    );
    // Failed resources are shown in the list; the display itself never fails the command.
    this.running = listr.run().then(
      () => undefined,
      () => undefined,
    );
  }

  /** Waits for resources not yet in the list, then hands them to listr2 with the next waiter. */
  private async nextBatch(
    parent: TaskWrapper,
  ): Promise<Listr<unknown, ListrRendererValue, ListrRendererValue> | undefined> {
    while (this.queued.length === 0 && !this.stopped) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const batch = this.queued.splice(0);
    if (batch.length === 0) return undefined;
    const tasks: Task[] = batch.map((line) => ({
      title: line.title(this.width()),
      task: async (_context, task) => {
        line.task = task;
        task.title = line.title(this.width());
        const status = await line.finished;
        // The whole line, so renderers that print only the error or skip message still name the resource.
        if (status === 'error') throw new Error(line.title(this.width()));
        if (status === 'skipped') task.skip(line.title(this.width()));
      },
    }));
    tasks.push({ task: (_context, task) => this.nextBatch(task) });
    return parent.newListr(tasks, { concurrent: true, exitOnError: false });
  }

  private width(): number {
    return Math.max(0, ...[...this.lines.values()].map((line) => line.resource.length));
  }

  private headerTitle(): string {
    const lines = [...this.lines.values()];
    const done = lines.filter((line) => line.status !== 'working').length;
    return `[+] ${this.options.title ?? 'Running'} ${done}/${lines.length}`;
  }

  private refresh(): void {
    const width = this.width();
    // Each title change makes listr2 redraw: change only what differs, or a long list redraws quadratically.
    for (const line of this.lines.values()) setTitle(line.task, line.title(width));
    setTitle(this.header, this.headerTitle());
  }
}

function setTitle(task: TaskWrapper | undefined, title: string): void {
  if (task !== undefined && task.title !== title) task.title = title;
}

/**
 * listr2's terminal renderer redraws the whole list on every title or state change; with dozens of
 * resources that blocks the event loop (which also runs the engine). Redraw at most every 80 ms.
 */
class CoalescingRenderer extends DefaultRenderer {
  private pending: NodeJS.Timeout | undefined;

  private ended = false;

  override update(): void {
    if (this.pending !== undefined || this.ended) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      super.update();
    }, 80);
  }

  override end(): void {
    this.ended = true;
    clearTimeout(this.pending);
    this.pending = undefined;
    super.end();
  }
}
