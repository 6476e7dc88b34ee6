/**
 * UsageError: a mistake in what the user gave us (a config, a path, a flag). The CLI prints its message
 * alone — no stack trace — and exits with code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
