import { describe, expect, it } from 'vitest';
import { accuracy, auc, iou, macroF1, mae, r2, rmse } from '../../src/eval/metrics.js';

describe('metrics (hand-worked)', () => {
  it('AUC by rank sum, with ties at average rank', () => {
    // Positives 0.8, 0.4; negatives 0.6, 0.2: pairs (0.8>0.6)(0.8>0.2)(0.4<0.6)(0.4>0.2) → 3/4.
    expect(auc([0.8, 0.6, 0.4, 0.2], [1, 0, 1, 0])).toBeCloseTo(0.75, 12);
    // A tie between a positive and a negative counts 1/2: pairs 1, 0.5 → 0.75.
    expect(auc([0.9, 0.5, 0.5], [1, 1, 0])).toBeCloseTo(0.75, 12);
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('macro-F1 over the classes present', () => {
    // truth 0 0 1 2, pred 0 1 1 2: class0 tp1 fn1 → 2/3; class1 tp1 fp1 → 2/3; class2 → 1.
    expect(macroF1([0, 1, 1, 2], [0, 0, 1, 2], 4)).toBeCloseTo((2 / 3 + 2 / 3 + 1) / 3, 12);
    expect(accuracy([0, 1, 1, 2], [0, 0, 1, 2])).toBe(0.75);
  });

  it('MAE, RMSE, R²', () => {
    const t = [1, 2, 3, 4], p = [1, 3, 3, 2];
    expect(mae(p, t)).toBeCloseTo(0.75, 12);
    expect(rmse(p, t)).toBeCloseTo(Math.sqrt(5 / 4), 12);
    // SS_res = 0+1+0+4 = 5, SS_tot = 2.25+0.25+0.25+2.25 = 5 → R² = 0.
    expect(r2(p, t)).toBeCloseTo(0, 12);
  });

  it('IoU of boxes', () => {
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12);
    expect(iou([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
  });
});
