/**
 * What a Stop inside an epoch rolls back to: a copy of one model's training state as it was when the
 * epoch began — the model's weights, the optimizer's state (Adam's moments, step count and exact β
 * powers), early stopping's best weights, and the trainer's schedule and plug-in state (the contents of
 * a `mtl train` checkpoint, src/train/node/checkpoint.ts, held in memory instead of written to disk).
 *
 * Why: the studio trains each model one epoch per Trainer.fit call on one seeded schedule, so a run
 * continued after a Stop gives exactly the run that was never stopped — but only from an epoch
 * boundary. A Stop read at a step (the shared flag of a cross-origin isolated page) leaves part of that
 * epoch's steps applied; restoring this copy into a fresh Trainer undoes them, exactly as `mtl train
 * --resume` starts a fresh Trainer from the last epoch's checkpoint (whose bitwise equality with an
 * uninterrupted run test/weighting/resume.test.ts and test/train/trainer.test.ts check). The Stop
 * then acts within a step, and the stopped model is the model after its last whole epoch.
 *
 * The copies are tf.clone()s: on-device, no download (tfjs shares the buffer until either side is
 * written; the native fused Adam copies a shared buffer before updating it in place,
 * src/engine/native/adam.ts). They cost the model's size once more, plus Adam's two moments.
 */
import { tf } from '../engine/tf.js';
import type { Trainer, TrainerState } from '../train/trainer.js';

export class EpochStart {
  private constructor(
    private weights: tf.Tensor[],
    private optimizer: { name: string; tensor: tf.Tensor }[],
    private best: tf.Tensor[] | null,
    private readonly state: TrainerState,
  ) {}

  /** Copies `trainer`'s state now (before its next epoch). */
  static async take(trainer: Trainer): Promise<EpochStart> {
    const snap = await trainer.snapshot();
    const weights = trainer.model.layersModel().weights.map((w) => tf.clone(w.read()));
    // The optimizer's variables (moments, β powers) are live: copied. Its step count is a new tensor: kept.
    const optimizer = snap.optimizer.map(({ name, tensor }) => ({ name, tensor: tensor instanceof tf.Variable ? tf.clone(tensor) : tensor }));
    const best = snap.best?.map((t) => tf.clone(t)) ?? null;
    // Plain data (checkpoints store it as JSON), but partly live objects: copied. The epoch records are
    // not changed once their epoch has ended, so the history is copied as a list.
    const { history, ...rest } = snap.state;
    const state: TrainerState = { ...structuredClone(rest), history: [...history] };
    return new EpochStart(weights, optimizer, best, state);
  }

  /** Epochs the trainer had completed when the copy was taken. */
  get epoch(): number {
    return this.state.epoch + 1;
  }

  /**
   * Disposes `dirty` (a trainer whose epoch was cut off) and returns `fresh()` — a new Trainer on the
   * same model — restored to this copy. The copy's tensors pass to the new trainer (or are freed): this
   * EpochStart is used up.
   */
  async restore(dirty: Trainer, fresh: () => Trainer): Promise<Trainer> {
    dirty.dispose();
    const trainer = fresh();
    const { weights, optimizer, best } = this.take_();
    try {
      await trainer.restore({ modelWeights: weights, optimizer, best, state: this.state });
    } finally {
      // setWeights made the optimizer's variables from these tensors (sharing their buffers): ours are freed.
      optimizer.forEach((o) => o.tensor.dispose());
    }
    return trainer;
  }

  /** Frees the copy (the epoch ended normally). */
  dispose(): void {
    const { weights, optimizer, best } = this.take_();
    weights.forEach((t) => t.dispose());
    optimizer.forEach((o) => o.tensor.dispose());
    best?.forEach((t) => t.dispose());
  }

  private take_(): { weights: tf.Tensor[]; optimizer: { name: string; tensor: tf.Tensor }[]; best: tf.Tensor[] | null } {
    const held = { weights: this.weights, optimizer: this.optimizer, best: this.best };
    this.weights = [];
    this.optimizer = [];
    this.best = null;
    return held;
  }
}
