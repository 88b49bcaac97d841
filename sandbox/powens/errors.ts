/** A refusal of the sandbox, answered as Powens' error body (`{code, description, message}`) with its status. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly bankMessage: string | null = null,
  ) {
    super(description);
  }
}
