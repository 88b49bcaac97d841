/** Errors of the camt.053 renderer: the message names the input path (`statements[0].movements[3].amount: …`). */
export class CamtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CamtError';
  }
}
