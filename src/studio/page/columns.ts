/**
 * The columns table of the page: one row per column of the loaded table with what the worker inferred
 * (type, distinct values, missing cells, frequent values) and what the user chooses — its role
 * (feature, target, ignored), a target's task name and kind (binary with its positive value,
 * multiclass, regression), a feature's type. `choices()` reads the choices back for the settings.
 */
import { compareValues } from '../../data/preprocess.js';
import type { StudioKind } from '../config.js';
import type { ColumnInfo, TableSummary } from '../protocol.js';
import { el, select, slug } from './dom.js';

export type Role = 'feature' | 'target' | 'ignore';

export interface ColumnChoice {
  role: Role;
  task: string;
  kind: StudioKind;
  positive?: string;
  type?: 'numeric' | 'categorical';
}

export interface Choices {
  targets: { column: string; task?: string; kind: StudioKind; positive?: string }[];
  features: string[];
  types: Record<string, 'numeric' | 'categorical'>;
}

/** The kinds a column can be a target of: regression needs numbers, multiclass a bounded set of values. */
export function kindsFor(c: ColumnInfo): StudioKind[] {
  const kinds: StudioKind[] = ['binary'];
  if (!c.distinctCapped && c.distinct >= 2) kinds.push('multiclass');
  if (c.allNumbers) kinds.push('regression');
  return kinds;
}

/** The kind a target column starts as: many numbers → regression, two values → binary, else multiclass. */
export function suggestedKind(c: ColumnInfo): StudioKind {
  if (c.allNumbers && c.distinct > 10) return 'regression';
  if (c.distinct <= 2) return 'binary';
  return c.distinctCapped ? 'binary' : 'multiclass';
}

/** A binary target's positive value: none when the column reads 0/1, else the last value in sorted order ('yes', '>50K', 'true'). */
export function suggestedPositive(c: ColumnInfo): string | undefined {
  const values = [...c.top].sort(compareValues);
  if (values.every((v) => v === '0' || v === '1')) return undefined;
  return values[values.length - 1];
}

/** Text columns whose every value differs: identifiers, not features. */
function looksLikeId(c: ColumnInfo, rows: number): boolean {
  return !c.allNumbers && c.distinct > 20 && c.distinct >= 0.9 * Math.min(rows, 1000);
}

export class ColumnsTable {
  private summary: TableSummary | null = null;
  private readonly choicesByColumn = new Map<string, ColumnChoice>();

  constructor(private readonly table: HTMLTableElement, private readonly changed: () => void) {}

  get columns(): ColumnInfo[] {
    return this.summary?.columns ?? [];
  }

  /** Shows a new table; `targets` preselects target columns (the sample's tasks) with their task names and positives. */
  show(summary: TableSummary, targets: { column: string; task?: string; kind?: StudioKind; positive?: string }[] = []): void {
    this.summary = summary;
    this.choicesByColumn.clear();
    for (const c of summary.columns) {
      const preset = targets.find((t) => t.column === c.name);
      const kind = preset?.kind ?? suggestedKind(c);
      const role: Role = preset ? 'target' : c.type === 'empty' || looksLikeId(c, summary.rows) ? 'ignore' : 'feature';
      const positive = kind === 'binary' ? (preset?.positive ?? suggestedPositive(c)) : undefined;
      this.choicesByColumn.set(c.name, { role, task: preset?.task ?? c.name, kind, ...(positive !== undefined ? { positive } : {}) });
    }
    this.render();
  }

  /** Sets a column's role (the page's API for tests and presets). */
  setRole(column: string, role: Role, kind?: StudioKind): void {
    const ch = this.choicesByColumn.get(column);
    const info = this.columns.find((c) => c.name === column);
    if (!ch || !info) throw new Error(`no column '${column}'`);
    ch.role = role;
    if (kind) ch.kind = kind;
    if (ch.kind === 'binary' && ch.positive === undefined) {
      const p = suggestedPositive(info);
      if (p !== undefined) ch.positive = p;
    }
    this.render();
    this.changed();
  }

  choices(): Choices {
    const targets: Choices['targets'] = [];
    const features: string[] = [];
    const types: Choices['types'] = {};
    for (const c of this.columns) {
      const ch = this.choicesByColumn.get(c.name)!;
      if (ch.role === 'target') {
        targets.push({ column: c.name, ...(ch.task && ch.task !== c.name ? { task: ch.task } : {}), kind: ch.kind, ...(ch.kind === 'binary' && ch.positive !== undefined ? { positive: ch.positive } : {}) });
      } else if (ch.role === 'feature') {
        features.push(c.name);
        if (ch.type && ch.type !== c.type) types[c.name] = ch.type;
      }
    }
    return { targets, features, types };
  }

  private render(): void {
    const t = this.table;
    t.innerHTML = '';
    t.appendChild(el('tr', {}, ['column', 'inferred type', 'distinct', 'missing', 'frequent values', 'role', 'task', 'kind', 'positive value'].map((h) => el('th', { text: h }))));
    for (const c of this.columns) t.appendChild(this.row(c));
  }

  private row(c: ColumnInfo): HTMLTableRowElement {
    const ch = this.choicesByColumn.get(c.name)!;
    const id = slug(c.name);
    const update = (): void => {
      this.render();
      this.changed();
    };
    const role = select([['feature', 'feature'], ['target', 'target'], ['ignore', 'not used']], ch.role, { 'data-testid': `role-${id}` });
    role.addEventListener('change', () => {
      ch.role = role.value as Role;
      update();
    });
    let type: Node = el('span', { text: c.type });
    if (ch.role === 'feature' && c.type !== 'empty') {
      const s = select(c.allNumbers ? ['numeric', 'categorical'] : ['categorical'], ch.type ?? c.type, { 'data-testid': `type-${id}` });
      s.addEventListener('change', () => {
        ch.type = s.value as 'numeric' | 'categorical';
        update();
      });
      type = s;
    }
    const cells: (Node | string | null)[] = [];
    if (ch.role === 'target') {
      const task = el('input', { value: ch.task, size: 14, 'data-testid': `task-${id}` });
      task.addEventListener('change', () => {
        ch.task = task.value.trim() || c.name;
        this.changed();
      });
      const kind = select(kindsFor(c), ch.kind, { 'data-testid': `kind-${id}` });
      kind.addEventListener('change', () => {
        ch.kind = kind.value as StudioKind;
        if (ch.kind === 'binary' && ch.positive === undefined) {
          const p = suggestedPositive(c);
          if (p !== undefined) ch.positive = p;
        }
        update();
      });
      let positive: Node = el('span', { className: 'note', text: ch.kind === 'binary' ? 'reads 0/1' : '' });
      if (ch.kind === 'binary' && !(c.top.length <= 2 && c.top.every((v) => v === '0' || v === '1'))) {
        const values = [...c.top].sort(compareValues);
        const s = select(values, ch.positive ?? values[values.length - 1] ?? '', { 'data-testid': `positive-${id}` });
        s.addEventListener('change', () => {
          ch.positive = s.value;
          this.changed();
        });
        positive = s;
      }
      cells.push(el('td', {}, [task]), el('td', {}, [kind]), el('td', {}, [positive]));
    } else {
      cells.push(el('td'), el('td'), el('td'));
    }
    const examples = c.top.slice(0, 6).join(', ') + (c.top.length > 6 ? ', …' : '');
    return el('tr', { className: ch.role === 'target' ? 'target' : ch.role === 'ignore' ? 'ignored' : '', 'data-column': c.name }, [
      el('td', { text: c.name }),
      el('td', {}, [type]),
      el('td', { className: 'num', text: `${c.distinct.toLocaleString('en-US')}${c.distinctCapped ? '+' : ''}` }),
      el('td', { className: 'num', text: c.missing.toLocaleString('en-US') }),
      el('td', {}, [el('span', { className: 'examples', title: examples, text: examples })]),
      el('td', {}, [role]),
      ...cells,
    ]);
  }
}
