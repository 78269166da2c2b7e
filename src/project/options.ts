/** What `loadProject` needs to know; every field mirrors a docker compose flag or default. */
export interface LoadOptions {
  /** `-f`, in order; `-` reads standard input. Empty: COMPOSE_FILE, else the default names. */
  files?: string[];
  /** `-p`. */
  projectName?: string;
  /** `--project-directory`. */
  projectDirectory?: string;
  /** `--env-file`, in order (later files win). Empty: COMPOSE_ENV_FILES, else `<project dir>/.env`. */
  envFiles?: string[];
  /** `--profile`. Empty: COMPOSE_PROFILES. */
  profiles?: string[];
  /** Services named on the command line: they are enabled whatever their profiles. */
  services?: string[];
  /** Working directory (default: process.cwd()). */
  cwd?: string;
  /** The OS environment (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Reads standard input, for `-f -` (default: process.stdin). */
  readStdin?: () => Promise<string>;
  /** `--no-interpolate` sets this to false. */
  interpolate?: boolean;
  /** `--no-normalize` sets this to false: no defaults, no resource names, no implicit dependencies. */
  normalize?: boolean;
  /** `--no-path-resolution` sets this to false. */
  resolvePaths?: boolean;
  /** Skip the semantic checks (undefined references, cycles ...). */
  skipConsistencyCheck?: boolean;
}
