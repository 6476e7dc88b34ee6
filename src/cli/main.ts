/** The `mtl` command line: one sub-command per file in ./commands. */
import { Command } from 'commander';
import { registerAddTask } from './commands/add-task.js';
import { registerAffinity } from './commands/affinity.js';
import { registerAgent } from './commands/agent.js';
import { registerFusion } from './commands/fusion.js';
import { registerPredict } from './commands/predict.js';
import { registerCompare } from './commands/compare.js';
import { registerEval } from './commands/eval.js';
import { registerMeta } from './commands/meta.js';
import { registerReport } from './commands/report.js';
import { registerSchool } from './commands/school.js';
import { registerServe } from './commands/serve.js';
import { registerStudio } from './commands/studio.js';
import { registerTrain } from './commands/train.js';
import { registerData } from './commands/data.js';
import { registerSweep } from './commands/sweep.js';
import { registerWorker } from './commands/worker.js';
import { reportError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mtl')
    .description('mtljs: multi-task learning on TensorFlow.js')
    .showHelpAfterError()
    .exitOverride();
  registerTrain(program);
  registerEval(program);
  registerCompare(program);
  registerSweep(program);
  registerWorker(program);
  registerServe(program);
  registerStudio(program);
  registerReport(program);
  registerAffinity(program);
  registerAgent(program);
  registerPredict(program);
  registerFusion(program);
  registerSchool(program);
  registerMeta(program);
  registerAddTask(program);
  registerData(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS (a pipe may lag). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

// Exit explicitly (a threaded wasm backend keeps worker threads alive), but only after stdout and stderr
// are flushed: a reader that is slow to drain a pipe must still get every line.
main(process.argv).then(async (code) => {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
});
