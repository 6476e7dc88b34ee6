/** The `mtl` command line: one sub-command per file in ./commands. */
import { Command } from 'commander';
import { registerAffinity } from './commands/affinity.js';
import { registerCompare } from './commands/compare.js';
import { registerEval } from './commands/eval.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
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
  registerServe(program);
  registerReport(program);
  registerAffinity(program);
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

// Exit explicitly: a threaded wasm backend keeps worker threads alive.
main(process.argv).then((code) => process.exit(code));
