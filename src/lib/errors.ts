// Errors that belong to no layer in particular: whoever finds a setting unusable (config.ts, the database, the file
// store, the JWT keys) throws a ConfigError, and the command line turns it into exit code 2 with the message.
// Domain errors are core's (core/errors.ts), each dialect maps them; storage's and the edge's are their own.

/** One or more settings that cannot be used, each problem naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}
