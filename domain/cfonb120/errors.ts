/** Errors of the CFONB120 engine. Writer errors name the input path; reader errors the line and column. */
export class CfonbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfonbError';
  }
}

export class CfonbReadError extends CfonbError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'CfonbReadError';
  }
}
