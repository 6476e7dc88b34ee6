/**
 * Options and help texts shared by several `mtl` commands: each builder gives the same flags, help
 * text, parser (./flags.ts) and default wherever it is added (`.addOption(dataDirOption())`).
 */
import { Option } from 'commander';
import { backendFlag, positiveInt, progressFlag, type PROGRESS_MODES } from './flags.js';

export const DATA_DIR_HELP =
  'folder holding the dataset files (default: $MTL_DATA_DIR; else the cache ~/.cache/mtljs, the copy shipped with mtljs, or a download: see `mtl data list`)';

/** `--data-dir <dir>`: where the dataset files are. */
export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', DATA_DIR_HELP);
}

export const BACKEND_HELP = 'wasm | cpu | tensorflow (default: $MTL_BACKEND or wasm)';

/** `-b, --backend <name>`, checked; `help` where the command's default is not the usual one. */
export function backendOption(help = BACKEND_HELP): Option {
  return new Option('-b, --backend <name>', help).argParser(backendFlag);
}

/** `--progress <mode>`, checked, `byDefault` when not given. */
export function progressOption(byDefault: (typeof PROGRESS_MODES)[number]): Option {
  return new Option('--progress <mode>', 'auto | bar | lines | silent').default(byDefault).argParser(progressFlag);
}

/** `--epochs <n>`, a positive integer: by default it overrides the config's train.epochs. */
export function epochsOption(help = 'override train.epochs', byDefault?: number): Option {
  return new Option('--epochs <n>', help).default(byDefault).argParser(positiveInt('--epochs'));
}
