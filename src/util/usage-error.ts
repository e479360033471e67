// A UsageError is the user's mistake (bad flag, bad file, bad design module): the entry scripts print its message
// on one line, without a stack trace, and exit with code 2. Anything else is a bug or a fault and keeps its stack.
// It lives at the bottom of the layers so that any layer that checks user input can raise it.
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
