/**
 * The "try it" form: one input per feature of the trained model (numbers typed, categories picked from
 * the manifest's lists, or missing), filled from a test row on request, predicted by the worker with
 * the model loaded back from the downloaded files; the answers are shown as `mtl serve` gives them.
 */
import type { TaskAnswer } from '../../browser/format.js';
import type { FeatureState, RawRecord, RawValue } from '../../data/types.js';
import { el, select, slug } from './dom.js';

const MISSING = '\u0000missing';

export class TryIt {
  private features: FeatureState[] = [];
  private rows: RawRecord[] = [];
  private next = 0;

  constructor(private readonly form: HTMLTableElement, private readonly answersTable: HTMLTableElement) {}

  /** A new model: its features (manifest.preprocessing) and test rows to fill the form from. */
  setModel(features: FeatureState[], testRows: RawRecord[]): void {
    this.features = features;
    this.rows = testRows;
    this.next = 0;
    this.form.innerHTML = '';
    this.answersTable.innerHTML = '';
    for (const f of features) {
      const id = `try-${slug(f.column)}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (f.type === 'numeric') {
        input = el('input', { id, 'data-testid': id, size: 12, placeholder: 'missing' });
      } else {
        const categories = 'categories' in f && f.categories ? f.categories : [];
        input = select([[MISSING, '(missing)'], ...categories.map((c): [string, string] => [c, c])], MISSING, { id, 'data-testid': id });
      }
      this.form.appendChild(el('tr', {}, [el('td', {}, [el('label', { for: id, text: f.column })]), el('td', {}, [input]), el('td', { className: 'note', text: f.type === 'numeric' ? `numeric (mean ${fmt(f.mean)})` : f.type })]));
    }
    if (testRows.length) this.fill();
  }

  /** Fills the form with the next test row. */
  fill(): void {
    if (!this.rows.length) return;
    const row = this.rows[this.next % this.rows.length]!;
    this.next++;
    for (const f of this.features) {
      const input = document.getElementById(`try-${slug(f.column)}`) as HTMLInputElement | HTMLSelectElement;
      const v = row[f.column];
      const text = v === null || v === undefined ? '' : String(v).trim();
      if (input instanceof HTMLSelectElement) input.value = [...input.options].some((o) => o.value === text) ? text : MISSING;
      else input.value = text;
    }
  }

  /** The form as a raw record: numbers as numbers, empty or '(missing)' as null. */
  row(): RawRecord {
    const r: RawRecord = {};
    for (const f of this.features) {
      const input = document.getElementById(`try-${slug(f.column)}`) as HTMLInputElement | HTMLSelectElement;
      const text = input.value.trim();
      let v: RawValue = text === '' || text === MISSING ? null : text;
      if (f.type === 'numeric' && v !== null && Number.isFinite(Number(v))) v = Number(v);
      r[f.column] = v;
    }
    return r;
  }

  showAnswers(outputs: Record<string, number[]>, answers: Record<string, TaskAnswer>): void {
    const t = this.answersTable;
    t.innerHTML = '';
    t.appendChild(el('tr', {}, [el('th', { text: 'task' }), el('th', { text: 'answer' }), el('th', { text: 'model output' })]));
    for (const [task, a] of Object.entries(answers)) {
      const out = outputs[task] ?? [];
      t.appendChild(el('tr', { 'data-testid': `answer-${slug(task)}`, 'data-value': JSON.stringify(out) }, [
        el('td', { text: task }),
        el('td', { text: describe(a) }),
        el('td', { className: 'num', text: out.map((v) => fmt(v)).join(', ') }),
      ]));
    }
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4);
}

function describe(a: TaskAnswer): string {
  if ('probability' in a) return `${a.label} (p(${a.positiveLabel}) = ${a.probability.toFixed(3)})`;
  if ('index' in a) return `${a.label} (p = ${(a.probabilities[a.label] ?? 0).toFixed(3)})`;
  if ('values' in a) return Object.entries(a.values).map(([k, v]) => `${k} = ${fmt(v)}`).join(', ');
  if ('labels' in a) return a.labels.join(', ') || '(none)';
  return JSON.stringify(a);
}
