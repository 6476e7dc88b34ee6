/**
 * DataError: a malformed data file. It names the file and (when known) the 1-based line, and its
 * message reads like a compiler diagnostic: `adult.data:123: expected 15 fields, found 14`.
 */

export class DataError extends Error {
  /** File name (or other source label) the bad input came from. */
  readonly file: string;
  /** 1-based line number, or undefined when the problem is not tied to one line. */
  readonly line: number | undefined;
  /** The message without the `file:line: ` prefix. */
  readonly detail: string;

  constructor(detail: string, file: string, line?: number) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}
