/**
 * Model folders are validated on load (src/models/io.ts, manifest.ts, saved.ts): a tiny adult model is
 * trained by `mtl train`, then real corrupted copies of its model/ folder — a weight path leaving the
 * folder (.., absolute, symlink), NaN weights, a truncated weights.bin, a wrong dtype, an emptied category
 * list, missing or mistyped JSON fields, a manifest that does not fit the model — must each fail with one
 * ModelFileError (a DataError: `mtl serve` exits 2) whose message names the file and what is wrong,
 * instead of reading /etc/passwd, serving null probabilities or wrong answers. The untouched folder and
 * its checkpoint still load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/errors.js';
import { DataError } from '../../src/data/errors.js';
import { initBackend } from '../../src/engine/backend.js';
import { ModelFileError } from '../../src/models/errors.js';
import { loadTensors, readModelWeights } from '../../src/models/io.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { adultConfig, mtl, tmpDir, trainRun } from '../serve/fixtures.js';

const tmp = tmpDir('model-folder');
let run: string;
let model: string;

beforeAll(async () => {
  await initBackend('wasm');
  run = await trainRun(tmp, 'adult', adultConfig('adult-folder', '{ limit: 300, testLimit: 100 }', '{ epochs: 1, batchSize: 128, lr: 0.003, earlyStopping: false }'));
  model = path.join(run, 'model');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let copies = 0;
/** A copy of the model folder, changed by `edit`. */
function corrupt(edit: (dir: string) => void): string {
  const dir = path.join(tmp, `copy-${++copies}`);
  fs.cpSync(model, dir, { recursive: true });
  edit(dir);
  return dir;
}
const editJson = (dir: string, file: string, f: (j: any) => void) => {
  const p = path.join(dir, file);
  const j = JSON.parse(fs.readFileSync(p, 'utf8'));
  f(j);
  fs.writeFileSync(p, JSON.stringify(j));
};
const modelJson = (f: (j: any) => void) => (dir: string) => editJson(dir, 'model.json', f);
const manifest = (f: (j: any) => void) => (dir: string) => editJson(dir, 'manifest.json', f);

async function loadError(dir: string): Promise<ModelFileError> {
  const err = await loadSavedModel(dir).then(
    (m) => {
      m.model.dispose();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err, `${dir} loaded`).toBeInstanceOf(ModelFileError);
  expect(err).toBeInstanceOf(DataError);
  expect(exitCodeFor(err)).toBe(2);
  return err as ModelFileError;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a good folder', () => {
  it('loads, and so does its checkpoint (weights, optimizer state)', async () => {
    const saved = await loadSavedModel(model);
    expect(saved.tasks.map((t) => t.name)).toEqual(['income', 'never_married']);
    saved.model.dispose();
    const cp = path.join(run, 'checkpoint');
    expect(readModelWeights(cp)).toHaveLength(10);
    expect(loadTensors(cp, 'optimizer').length).toBeGreaterThan(0);
  });
});

describe('weight files stay inside the folder', () => {
  it("a '..' path is refused before anything is read", async () => {
    const dir = corrupt(modelJson((j) => (j.weightsManifest[0].paths = ['../../../../../etc/passwd'])));
    const e = await loadError(dir);
    expect(e.message).toBe(`${dir}/model.json: weightsManifest[0].paths[0]: '../../../../../etc/passwd' leaves the model folder ('..')`);
  });

  it('an absolute path is refused', async () => {
    const dir = corrupt(modelJson((j) => (j.weightsManifest[0].paths = ['/etc/passwd'])));
    expect((await loadError(dir)).message).toBe(`${dir}/model.json: weightsManifest[0].paths[0]: '/etc/passwd' is an absolute path: the files of a model folder are named relative to it`);
  });

  it('a symbolic link whose real path leaves the folder is refused (realpath check)', async () => {
    const outside = path.join(tmp, 'outside.bin');
    fs.copyFileSync(path.join(model, 'weights.bin'), outside); // the right size, even
    const dir = corrupt((d) => {
      fs.rmSync(path.join(d, 'weights.bin'));
      fs.symlinkSync(outside, path.join(d, 'weights.bin'));
    });
    expect((await loadError(dir)).message).toBe(`${dir}/model.json: weightsManifest[0].paths[0]: 'weights.bin' is a symbolic link leading outside the model folder`);
  });

  it('a symbolic link inside the folder is fine; a missing weight file is named', async () => {
    const inside = corrupt((d) => {
      fs.renameSync(path.join(d, 'weights.bin'), path.join(d, 'real.bin'));
      fs.symlinkSync('real.bin', path.join(d, 'weights.bin'));
    });
    (await loadSavedModel(inside)).model.dispose();
    const dir = corrupt((d) => fs.rmSync(path.join(d, 'weights.bin')));
    expect((await loadError(dir)).message).toBe(`${dir}/model.json: weightsManifest[0].paths[0]: 'weights.bin' does not exist in the model folder`);
  });
});

describe('weights are what the specs say', () => {
  it('a truncated weights.bin is named with the bytes it has and needs', async () => {
    const size = fs.statSync(path.join(model, 'weights.bin')).size;
    const dir = corrupt((d) => fs.truncateSync(path.join(d, 'weights.bin'), size - 100));
    expect((await loadError(dir)).message).toBe(`${dir}/weights.bin: holds ${size - 100} bytes but the 10 weights model.json lists need ${size} (truncated, or not the file it was saved with)`);
  });

  it('NaN weights are refused, naming the weight', async () => {
    const dir = corrupt((d) => {
      const b = fs.readFileSync(path.join(d, 'weights.bin'));
      b.writeFloatLE(NaN, 4 * 3); // shared_dense…/kernel, value 3
      fs.writeFileSync(path.join(d, 'weights.bin'), b);
    });
    expect((await loadError(dir)).message).toMatch(new RegExp(`^${esc(dir)}/weights\\.bin: weight 'shared_dense_\\d+/kernel' holds a non-finite value \\(NaN at index 3 of \\d+\\): the model cannot give valid answers$`));
  });

  it('an infinite weight too', async () => {
    const size = fs.statSync(path.join(model, 'weights.bin')).size;
    const dir = corrupt((d) => {
      const b = fs.readFileSync(path.join(d, 'weights.bin'));
      b.writeFloatLE(-Infinity, size - 4); // the last bias
      fs.writeFileSync(path.join(d, 'weights.bin'), b);
    });
    expect((await loadError(dir)).message).toMatch(/weights\.bin: weight 'head_never_married_logits_\d+\/bias' holds a non-finite value \(-Infinity at index 0 of 1\)/);
  });

  it('an unknown dtype is a schema error naming the field', async () => {
    const dir = corrupt(modelJson((j) => (j.weightsManifest[0].weights[0].dtype = 'float64')));
    expect((await loadError(dir)).message).toBe(`${dir}/model.json: weightsManifest[0].weights[0].dtype: expected float32 or int32 or bool, got 'float64'`);
  });

  it('a dtype of another size (bool) is caught by the byte count; one of the same size (int32) by tfjs, wrapped', async () => {
    const size = fs.statSync(path.join(model, 'weights.bin')).size;
    const boolDir = corrupt(modelJson((j) => (j.weightsManifest[0].weights[0].dtype = 'bool')));
    expect((await loadError(boolDir)).message).toMatch(new RegExp(`^${esc(boolDir)}/weights\\.bin: holds ${size} bytes but the 10 weights model\\.json lists need \\d+ \\(extra bytes`));
    const intDir = corrupt(modelJson((j) => (j.weightsManifest[0].weights[0].dtype = 'int32')));
    expect((await loadError(intDir)).message).toBe(`${intDir}/model.json: tfjs cannot build the model from it: dtype of the new value (int32) and previous value (float32) must match`);
  });

  it('a shape that does not match the bytes is named', async () => {
    const dir = corrupt(modelJson((j) => (j.weightsManifest[0].weights[0].shape = [70, 8])));
    expect((await loadError(dir)).message).toMatch(/weights\.bin: holds \d+ bytes but the 10 weights model\.json lists need \d+ \(extra bytes: not the file it was saved with\)$/);
  });
});

describe('model.json is schema-checked', () => {
  const cases: [string, (j: any) => void, string][] = [
    ['no modelTopology', (j) => delete j.modelTopology, 'modelTopology: is missing (expected object)'],
    ['a topology without class_name', (j) => delete j.modelTopology.class_name, 'modelTopology.class_name: is missing (expected string)'],
    ['no weightsManifest', (j) => delete j.weightsManifest, 'weightsManifest: is missing (expected array)'],
    ['paths not a list', (j) => (j.weightsManifest[0].paths = 'weights.bin'), "weightsManifest[0].paths: expected array, got 'weights.bin'"],
    ['a shape with a negative size', (j) => (j.weightsManifest[0].weights[1].shape = [-8]), 'weightsManifest[0].weights[1].shape[0]: Too small: expected number to be >=0 (got -8)'],
    ['a weight without a name', (j) => delete j.weightsManifest[0].weights[2].name, 'weightsManifest[0].weights[2].name: is missing (expected string)'],
  ];
  for (const [name, edit, message] of cases) {
    it(name, async () => {
      const dir = corrupt(modelJson(edit));
      expect((await loadError(dir)).message).toBe(`${dir}/model.json: ${message}`);
    });
  }

  it('invalid JSON, and a missing model.json', async () => {
    const dir = corrupt((d) => fs.writeFileSync(path.join(d, 'model.json'), '{"modelTopology": '));
    expect((await loadError(dir)).message).toMatch(new RegExp(`^${esc(dir)}/model\\.json: not valid JSON \\(.+\\)$`));
    const gone = corrupt((d) => fs.rmSync(path.join(d, 'model.json')));
    expect((await loadError(gone)).message).toBe(`${gone}: holds no saved mtljs model (model.json + manifest.json)`);
  });

  it('a topology tfjs cannot build is one message (first line of tfjs)', async () => {
    const dir = corrupt(modelJson((j) => (j.weightsManifest[0].weights[0].name = 'renamed')));
    expect((await loadError(dir)).message).toBe(`${dir}/model.json: tfjs cannot build the model from it: Provided weight data has no target variable: renamed`);
  });
});

describe('manifest.json is schema-checked and must fit the model', () => {
  const cases: [string, (j: any) => void, string | RegExp][] = [
    ['an emptied category list', (j) => (j.preprocessing.features[1].categories = []),
      "manifest.json: preprocessing.features[1] ('workclass'): categorical feature with an empty category list (the column would be encoded as nothing)"],
    ['a category listed twice', (j) => j.preprocessing.features[1].categories.push(j.preprocessing.features[1].categories[0]),
      /manifest\.json: preprocessing\.features\[1\] \('workclass'\): category '.+' is listed twice$/],
    ['a feature column listed twice', (j) => (j.preprocessing.features[2].column = 'age'), "manifest.json: preprocessing.features[2] ('age'): column listed twice"],
    ['a numeric std of 0', (j) => (j.preprocessing.features[0].std = 0), 'manifest.json: preprocessing.features[0].std: Too small: expected number to be >0 (got 0)'],
    ['no tasks', (j) => delete j.tasks, 'manifest.json: tasks: is missing (expected array)'],
    ['a task width as text', (j) => (j.tasks[0].width = '1'), "manifest.json: tasks[0].width: expected number, got '1'"],
    ['an unknown task kind', (j) => (j.tasks[0].kind = 'ranking'),
      "manifest.json: tasks[0].kind: unknown task kind 'ranking' (expected one of multiclass, binary, multilabel, box, sequence, ctc, generate, regression)"],
    ['a task listed twice', (j) => (j.tasks[1].name = j.tasks[0].name), "manifest.json: tasks[1].name: task 'income' is listed twice"],
    ['not a manifest', (j) => (j.format = 'something'), "manifest.json: not an mtljs manifest (format: expected mtljs-manifest, got 'something')"],
    ['inputSize that is not the features’ width', (j) => (j.preprocessing.inputSize -= 1), /manifest\.json: preprocessing\.inputSize: (\d+), but the features encode to \d+ values$/],
    ['inputShape that is not inputSize', (j) => (j.inputShape = [j.inputShape[0] - 6]), /manifest\.json: preprocessing\.inputSize: \d+, but inputShape \[\d+\] holds \d+ values$/],
    ['the tasks in another order', (j) => j.tasks.reverse(),
      /: output 0 of model\.json is the head 'head_income_\d+' but manifest\.json task 0 is 'never_married' \(it is the head of task 'income', manifest task 1: the task order differs\)$/],
    ['a task renamed', (j) => (j.tasks[0].name = 'salary'), /: output 0 of model\.json is the head 'head_income_\d+' but manifest\.json task 0 is 'salary'$/],
    ['a task with more units than its head', (j) => Object.assign(j.tasks[0], { kind: 'multiclass', outputSize: 2 }),
      ": task 'income' (multiclass, width 1, outputSize 2) needs 2 output units but output 0 of model.json gives [1]"],
    ['a task more than the model has', (j) => j.tasks.push({ ...j.tasks[0], name: 'extra' }), ': model.json has 2 outputs but manifest.json lists 3 tasks (income, never_married, extra)'],
  ];
  for (const [name, edit, message] of cases) {
    it(name, async () => {
      const dir = corrupt(manifest(edit));
      const got = (await loadError(dir)).message;
      expect(got.startsWith(dir)).toBe(true);
      if (typeof message === 'string') expect(got.endsWith(message), got).toBe(true);
      else expect(got).toMatch(message);
    });
  }

  it('a tensor model (no preprocessing) whose inputShape differs from model.json', async () => {
    const dir = corrupt(manifest((j) => {
      delete j.preprocessing;
      j.inputShape = [7, 10];
    }));
    expect((await loadError(dir)).message).toMatch(/: manifest\.json inputShape \[7, 10\] does not match the input \[\d+\] of model\.json$/);
  });
});

describe('checkpoint tensors', () => {
  it('a truncated optimizer.bin and a NaN in the optimizer state are refused', () => {
    const cp = path.join(run, 'checkpoint');
    const dir = path.join(tmp, 'cp-copy');
    fs.cpSync(cp, dir, { recursive: true });
    const size = fs.statSync(path.join(dir, 'optimizer.bin')).size;
    fs.truncateSync(path.join(dir, 'optimizer.bin'), size - 4);
    expect(() => loadTensors(dir, 'optimizer')).toThrow(ModelFileError);
    expect(() => loadTensors(dir, 'optimizer')).toThrow(`${dir}/optimizer.bin: holds ${size - 4} bytes but the`);
    fs.copyFileSync(path.join(cp, 'optimizer.bin'), path.join(dir, 'optimizer.bin'));
    const b = fs.readFileSync(path.join(dir, 'optimizer.bin'));
    b.writeFloatLE(NaN, 4); // after the int32 step counter: the first moment of the first kernel
    fs.writeFileSync(path.join(dir, 'optimizer.bin'), b);
    expect(() => loadTensors(dir, 'optimizer')).toThrow(/optimizer\.bin: weight 'shared_dense_\d+\/kernel\/m' holds a non-finite value \(NaN at index 0 of \d+\)/);
  });
});

describe('mtl serve on a bad folder', () => {
  it('prints one message and exits 2', async () => {
    const dir = corrupt((d) => editJson(d, 'model.json', (j) => (j.weightsManifest[0].paths = ['../../../../../etc/passwd'])));
    const r = await mtl(['serve', dir, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').at(-1)).toBe(`mtl: error: ${dir}/model.json: weightsManifest[0].paths[0]: '../../../../../etc/passwd' leaves the model folder ('..')`);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });
});
