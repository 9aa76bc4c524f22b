/** A build that did not succeed: the message names the application and what went wrong. */
export class BuildError extends Error {
  override name = "BuildError";
}
