/**
 * Numerically stable sigmoid cross-entropy on logits x with targets z, element-wise:
 *   max(x, 0) − x·z + log(1 + exp(−|x|))
 * (the same form as TensorFlow's sigmoid_cross_entropy_with_logits). Shared by binary and multilabel.
 */
import { tf, type Tensor } from '../engine/tf.js';

export function sigmoidCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
}
