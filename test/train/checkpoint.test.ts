import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { loadCheckpoint } from '../../src/train/node/checkpoint.js';
import { writeDirAtomic, resolveAtomicDir } from '../../src/train/node/atomic.js';

beforeAll(async () => { await initBackend('cpu'); });

/** Starts the writer, waits until it has saved `minSaves` times, then SIGKILLs it after `delayMs`. */
function runAndKill(dir: string, minSaves: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/fixtures/checkpoint-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let saves = 0, killed = false, err = '';
    child.stdout.on('data', (d: Buffer) => {
      saves += d.toString().split('\n').filter((l) => l.startsWith('saved')).length;
      if (saves >= minSaves && !killed) { killed = true; setTimeout(() => child.kill('SIGKILL'), delayMs); }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(saves) : reject(new Error(`writer exited on its own: ${err}`))));
  });
}

describe('checkpoints survive a kill', () => {
  it('a SIGKILL at any moment leaves a complete, consistent checkpoint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-kill-'));
    // Kill at several offsets so that some kills land in the middle of a save.
    for (const delay of [0, 3, 7, 13, 21]) {
      const saves = await runAndKill(dir, 2, delay);
      const ckpt = loadCheckpoint(dir);
      expect(ckpt).not.toBeNull();
      const k = ckpt!.state.epoch;
      expect(k).toBeGreaterThanOrEqual(saves - 1 - 1); // at most the save in flight is lost
      for (const w of ckpt!.modelWeights) {
        const values = new Set(w.dataSync());
        expect([...values]).toEqual([k]);
        w.dispose();
      }
      expect(ckpt!.optimizer[0].tensor.dataSync()[0]).toBe(k);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the previous version is used if the kill fell between the two renames', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-atomic-'));
    const dir = path.join(root, 'checkpoint');
    await writeDirAtomic(dir, (d) => fs.writeFileSync(path.join(d, 'x'), 'v1'));
    // Simulate the state right after "rename dir → dir.old" and before "rename tmp → dir".
    fs.renameSync(dir, `${dir}.old`);
    expect(resolveAtomicDir(dir)).toBe(`${dir}.old`);
    await writeDirAtomic(dir, (d) => fs.writeFileSync(path.join(d, 'x'), 'v2'));
    expect(fs.readFileSync(path.join(resolveAtomicDir(dir)!, 'x'), 'utf8')).toBe('v2');
    expect(fs.existsSync(`${dir}.old`)).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
