/**
 * The one place that imports TensorFlow.js. Every other module imports `tf` / `tfl` from here so the
 * library has a single tfjs-core instance (tfjs-layers and the backends register against it).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };
export type Tensor = tf.Tensor;
