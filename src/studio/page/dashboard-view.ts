/**
 * The training views are the Node dashboard itself: dashboard.html is src/dashboard/template.html as
 * `mtl report` renders it, framed by the page, and this class feeds its render() the same
 * DashboardState a run folder gives it (src/dashboard/state.ts) — the epoch records of the multi-task
 * model and of each single-task baseline as the worker sends them, the tasks' kinds and primary
 * metrics, and at the end the report (test table, Δm%). Per-task curves of MTL beside STL, the task
 * weights λ and the gradient-cosine heat-map are drawn by the dashboard's own code.
 */
import type { DashboardState, HistoryRecord, RunStatus } from '../../dashboard/state.js';
import type { Report } from '../../eval/report.js';
import type { TaskInfo } from '../protocol.js';

interface DashWindow {
  __dash?: { render(state: DashboardState): void };
}

export class DashboardView {
  private state: DashboardState;
  private loaded: Promise<void>;
  private pending = false;
  private runs = 0;

  constructor(private readonly frame: HTMLIFrameElement, private readonly src: string) {
    this.state = DashboardView.empty('mtljs studio');
    this.loaded = this.load();
  }

  /** (Re)loads the dashboard page: its views are made for one run, so each run starts on a fresh page. */
  private load(): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.frame.addEventListener('load', () => {
      // The frame is as tall as the dashboard (charts and tables grow after a render): no inner scrollbar.
      const doc = this.frame.contentDocument;
      if (doc && typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.fit()).observe(doc.body);
      resolve();
    }, { once: true }));
    this.frame.src = `${this.src}?run=${++this.runs}`;
    return loaded;
  }

  private fit(): void {
    const doc = this.frame.contentDocument;
    // The body's own height (the document's scrollHeight is at least the frame's, so it would never shrink).
    if (doc?.body) this.frame.style.height = `${Math.max(420, Math.ceil(doc.body.getBoundingClientRect().height) + 4)}px`;
  }

  static empty(name: string): DashboardState {
    return { name, runDir: 'this page', status: 'incomplete', config: {}, tasks: [], taskInfo: {}, mtl: [], stl: {}, report: null, updatedAt: new Date().toISOString() };
  }

  /** A new run (Train was pressed): a fresh dashboard page, running, no tasks yet. */
  newRun(name: string, config: DashboardState['config']): void {
    this.loaded = this.load();
    this.start(name, config, []);
  }

  /** The run's name, settings and tasks (from the worker's `started`). */
  start(name: string, config: DashboardState['config'], tasks: TaskInfo[]): void {
    this.state = {
      ...DashboardView.empty(name),
      status: 'running',
      config,
      tasks: tasks.map((t) => t.name),
      taskInfo: Object.fromEntries(tasks.map((t) => [t.name, { kind: t.kind, primary: t.primary, higherIsBetter: t.higherIsBetter }])),
    };
    this.render();
  }

  /** One epoch of the multi-task model ('mtl') or of a baseline ('stl:<task>'). */
  epoch(model: string, record: HistoryRecord): void {
    if (model === 'mtl') this.state.mtl = [...this.state.mtl, record];
    else {
      const task = model.slice('stl:'.length);
      this.state.stl = { ...this.state.stl, [task]: [...(this.state.stl[task] ?? []), record] };
    }
    this.render();
  }

  /** A stopped run goes on (Resume): running again, on the same page, its curves kept; the next epochs add to them. */
  resume(): void {
    const { message: _message, ...rest } = this.state;
    this.state = { ...rest, status: 'running', report: null };
    this.render();
  }

  finish(status: RunStatus, report: Report | null, message?: string): void {
    this.state = { ...this.state, status, report, ...(message ? { message } : {}) };
    this.render();
  }

  get current(): DashboardState {
    return this.state;
  }

  /** Renders at the next animation frame (epochs of several models may arrive together), on the current page. */
  private render(): void {
    if (this.pending) return;
    this.pending = true;
    const attempt = (): void => {
      const loaded = this.loaded;
      void loaded.then(() => requestAnimationFrame(() => {
        if (loaded !== this.loaded) return attempt(); // a fresh page started loading meanwhile
        this.pending = false;
        this.state = { ...this.state, updatedAt: new Date().toISOString() };
        (this.frame.contentWindow as (Window & DashWindow) | null)?.__dash?.render(this.state);
        this.fit();
      }));
    };
    attempt();
  }
}
