/**
 * A parameter count estimated from the config alone, before any weight is allocated, so that a layer of
 * ten million units is refused with a message naming it (`limits.maxParameters`) rather than running
 * out of memory while the model is built. Dense (MLP) encoders and heads are counted exactly per copy;
 * architectures that hold several copies of the encoder (experts, per-task columns) multiply it. CNN
 * and text encoders are not estimated (their size depends on the input's spatial shape or vocabulary)
 * and pass.
 */

export interface SizeEstimate {
  parameters: number;
  /** The single biggest layer, for the message. */
  largest: { name: string; parameters: number };
}

interface ModelShape {
  architecture: string;
  encoder: { type: string; hidden?: number[] };
  head: { hidden: number[] };
  options: Record<string, unknown>;
}

const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** How many copies of the encoder an architecture holds for T tasks. */
function encoderCopies(m: ModelShape, tasks: number): number {
  const o = m.options;
  switch (m.architecture) {
    case 'mmoe':
    case 'dselect-k':
      return num(o['experts'], 4);
    case 'cgc':
      return num(o['sharedExperts'], 2) + tasks * num(o['taskExperts'], 1);
    case 'ple':
      return num(o['levels'], 2) * (num(o['sharedExperts'], 2) + tasks * num(o['taskExperts'], 1));
    case 'esmm':
      return 2; // a CTR and a CVR tower
    case 'cross-stitch':
    case 'mtan':
    case 'additive':
      return tasks + 1;
    default:
      return 1;
  }
}

/**
 * Estimated parameters of an MLP-encoder model with `inputWidth` inputs (the encoder's: after the
 * embedding layer, when features are embedded) and the given task outputs, plus the embedding tables.
 */
export function estimateParameters(m: ModelShape, inputWidth: number, outputSizes: number[], tables: { column: string; rows: number; dim: number }[] = []): SizeEstimate | undefined {
  if (m.encoder.type !== 'mlp' || !m.encoder.hidden) return undefined;
  let largest = { name: '', parameters: 0 };
  let embeddings = 0;
  for (const t of tables) {
    const p = t.rows * t.dim;
    embeddings += p;
    if (p > largest.parameters) largest = { name: `the embedding table of '${t.column}' (${t.rows} × ${t.dim})`, parameters: p };
  }
  const dense = (name: string, fanIn: number, units: number) => {
    const p = fanIn * units + units;
    if (p > largest.parameters) largest = { name, parameters: p };
    return p;
  };
  let encoder = 0;
  let width = inputWidth;
  m.encoder.hidden.forEach((units, i) => {
    encoder += dense(`encoder layer ${i + 1} (${width} → ${units})`, width, units);
    width = units;
  });
  let heads = 0;
  outputSizes.forEach((out, t) => {
    let w = width;
    m.head.hidden.forEach((units, i) => {
      heads += dense(`head ${t + 1} layer ${i + 1} (${w} → ${units})`, w, units);
      w = units;
    });
    heads += dense(`head ${t + 1} output (${w} → ${out})`, w, out);
  });
  return { parameters: embeddings + encoder * encoderCopies(m, outputSizes.length) + heads, largest };
}
