/**
 * What a ToolContext method throws when the gateway cannot do what the tool asked: the service
 * is not offered here (no memory index, no messaging wired in), or an approval was already used.
 * The loop gives the model its sentence as the call's error result, as for bad input, instead of
 * reporting an internal error in the tool. A tool may also catch it and word its own result.
 */
export class ToolRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolRefusedError";
  }
}
