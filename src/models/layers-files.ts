/**
 * A LayersModel as the two files of a saved model folder — model.json (tfjs's layers-model format, one
 * weights group in weights.bin) and weights.bin — in memory, without Node: src/models/io.ts writes them to
 * disk, the studio (src/studio/model-files.ts) hands them to the page for download. One writer, so both
 * produce the same bytes that tf.loadLayersModel, `mtl serve` and the browser runtime read.
 */
import { tf, tfl } from '../engine/tf.js';

export interface LayersModelFiles {
  /** model.json's text. */
  modelJson: string;
  /** weights.bin's bytes. */
  weights: ArrayBuffer;
}

export async function layersModelFiles(model: tfl.LayersModel): Promise<LayersModelFiles> {
  let files: LayersModelFiles | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: 'mtljs',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      files = { modelJson: JSON.stringify(modelJson), weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('tfjs did not hand over the model to save');
  return files;
}
