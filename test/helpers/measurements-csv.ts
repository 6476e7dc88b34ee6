/**
 * The studio tests' user table: n rows of x1, x2, x3 (numeric), colour (red/green/blue), y = 2·x1 − x2 + 0.3·x3
 * (+1 when blue) + noise, and big = y > 1.5 (yes/no) — a regression and a binary target with one categorical feature.
 */
import { mulberry32 } from '../../src/data/split.js';

export function measurementsCsv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['x1,x2,x3,colour,y,big'];
  for (let i = 0; i < n; i++) {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 10];
    const c = Math.floor(rand() * 3);
    const y = 2 * x[0]! - x[1]! + 0.3 * x[2]! + (c === 2 ? 1 : 0) + 0.2 * (rand() - 0.5);
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${['red', 'green', 'blue'][c]},${y.toFixed(4)},${y > 1.5 ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}
