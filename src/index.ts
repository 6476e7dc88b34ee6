/**
 * mtljs — multi-task learning on TensorFlow.js. The package root is everything a Node program uses:
 * the browser-safe core (also importable alone as `mtljs/browser`) and the Node-only part (`mtljs/node`).
 */
export * from './browser.js';
export * from './node.js';
// Both entries have a Trainer: in Node the one with a run folder, progress and resume.
export { Trainer, type TrainerOptions } from './node.js';
