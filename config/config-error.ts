// The one error every configuration problem becomes: each problem names its variable,
// what is wrong and an example; a secret value is never part of it. Services exit 2 on it.

export interface ConfigProblem {
  /** the environment variable, e.g. PORT */
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** one line per problem, each starting with the variable's name */
  readonly problems: string[];
  /** the variables with a problem, in the order of `problems` (each once) */
  readonly variables: string[];
  constructor(problems: readonly (ConfigProblem | string)[]) {
    const lines = problems.map((p) => (typeof p === 'string' ? p : p.message));
    super(`invalid configuration:\n  - ${lines.join('\n  - ')}`);
    this.problems = lines;
    this.variables = [...new Set(problems.map((p) => (typeof p === 'string' ? p.split(/\s/, 1)[0]! : p.variable)))];
  }
}

/** The one message for a service started without a Redis; `needs` says who needs it, e.g. "the worker". */
export function redisUrlMissing(needs: string): ConfigError {
  return new ConfigError([
    {
      variable: 'REDIS_URL',
      message: `REDIS_URL is not set: ${needs} needs a Redis (example: REDIS_URL=redis://127.0.0.1:6379), or run \`duckmig start\` (npm start), which manages one`,
    },
  ]);
}
