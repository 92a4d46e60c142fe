/**
 * The one error type of the checkpoint readers and writers (.pth, safetensors, TF.js, ZIP, server
 * bundle). Its message names the file (and the key, entry or opcode) and says what to do, so the UI
 * and the CLI can show it to a clinician as is.
 */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}
