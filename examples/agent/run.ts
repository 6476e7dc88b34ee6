/**
 * The conversational-agent example as a script (the same as `node bin/mtl.js agent`, then one
 * prediction): SNIPS joint intent + slots vs the two single-task models, and the four-task model with
 * the review sentiment tasks. Run from the project root:
 *   npx tsx examples/agent/run.ts [--quick]
 * --quick: the first 2,000 training sentences per dataset and 3 epochs (a smoke run, ~2 minutes).
 */
import path from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { formatAgentReport, runAgent } from '../../src/run/agent.js';
import { formatTextPrediction, predictText } from '../../src/run/predict-text.js';
import { DEFAULT_TEXT_SETTINGS } from '../../src/run/text.js';

const quick = process.argv.includes('--quick');
const outDir = path.join('runs', quick ? 'agent-quick' : 'agent');
const backend = await initBackend(undefined, (m) => console.error(m));
const t0 = performance.now();
const report = await runAgent({
  outDir, settings: { ...DEFAULT_TEXT_SETTINGS, ...(quick ? { epochs: 3 } : {}) }, limit: quick ? 2000 : undefined, log: (m) => console.error(m),
});
console.log(formatAgentReport(report));
console.log(`\nbackend ${backend}; total ${((performance.now() - t0) / 1000).toFixed(0)} s; run folder ${outDir}\n`);
const [p] = await predictText(path.join(outDir, 'snips-sentiment'), ['book a table for two at sushi place tomorrow']);
console.log(formatTextPrediction(p!));
process.exit(0);
