/**
 * How a `generate` task's loss reaches the decoder that produced its head output.
 *
 * Teacher forcing needs the gold previous tokens inside the decoder, but the trainer hands a task only
 * (logits, labels, mask) and the model's forward only x. The decoder head (src/models/text/decoder*.ts)
 * therefore links each output tensor it returns to a closure over its own weights and the memory (the
 * encoder features) it was given: `teacherForced(labels)` → next-token logits [B, U, V]. The task's loss
 * looks the link up by the logits tensor it received and runs it with the labels, inside the trainer's
 * gradient recording, so the decoder's weights (the head's variables: model.taskVariables) and the
 * encoder get their gradients as any head's would, and nothing in the trainer or the other kinds changes.
 * A WeakMap keyed by the tensor object: the link lives exactly as long as the output tensor, and a saved
 * model loaded again (Node, or a page) links its outputs the same way, since the link is made by the
 * decoder layer's call, not by whoever built the model.
 *
 * No tfjs value is imported here (types only), so the page runtime can bundle it.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

export interface DecoderLink {
  /** Teacher-forced next-token logits [B, U, V] for gold targets `labels` [B, U] (NaN already 0). */
  teacherForced(labels: Tensor): Tensor;
}

const links = new WeakMap<object, DecoderLink>();

export function linkDecoderOutput(output: Tensor, link: DecoderLink): void {
  links.set(output, link);
}

export function decoderLinkOf(output: Tensor): DecoderLink | undefined {
  return links.get(output);
}
