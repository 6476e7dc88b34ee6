/**
 * A small deterministic CSV shared by the CLI tests of seeds and sweeps: columns a, b (numeric), c
 * (categorical) and two targets of one hidden factor h = a − b/2 — pos (binary, h > 0) and val
 * (regression, 2h + noise). Written as `d.csv` in `dir`; returns its path.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeTwoTargetCsv(dir: string, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const a = Math.sin(i * 12.9898) * 43758.5453 % 1;
    const b = Math.sin(i * 78.233) * 12345.678 % 1;
    const h = a - 0.5 * b;
    return `${a.toFixed(4)},${b.toFixed(4)},${['x', 'y', 'z'][i % 3]},${h > 0 ? 1 : 0},${(2 * h + 0.1 * Math.cos(i)).toFixed(4)}`;
  });
  const file = path.join(dir, 'd.csv');
  fs.writeFileSync(file, ['a,b,c,pos,val', ...rows].join('\n') + '\n');
  return file;
}
