/** A Docker Swarm stack file as plain data, in the normalized form `docker stack config` prints. */
export type StackDict = Record<string, unknown>;

export interface StackConvertOptions {
  /** The stack file version, '3.0' .. '3.13'; the newest when left out. */
  version?: string | undefined;
  /** Prefix of the image of a service that only has `build:`: `<registry>/<project>-<service>`. */
  registry?: string | undefined;
  /**
   * Absolute folder where secrets and configs given by `environment:` or `content:` are written as files
   * (Swarm reads them only from files). Without it such a secret or config is refused.
   */
  contentDir?: string | undefined;
}

/**
 * What the conversion did to one key of the project: `dropped` (Swarm or the stack version has no
 * such thing), `rewritten` (the key became another, or its value changed), `added` (a key the project
 * did not have, needed to keep its meaning) or `written` (a value moved into a file beside the stack).
 */
export type StackChangeAction = 'dropped' | 'rewritten' | 'added' | 'written';

export interface StackChange {
  /** The key in the project, as compose prints it: `services.web.ports[1].host_ip`. */
  path: string;
  /** The service the key belongs to, when it is one's. */
  service?: string;
  action: StackChangeAction;
  /** What was done and why, and what to do about it when something must be done. */
  detail: string;
}

/** A file the caller must write beside the stack file (the stack file refers to it by this path). */
export interface StackContentFile {
  path: string;
  content: string;
  mode: number;
}

export interface StackConversion {
  version: string;
  stack: StackDict;
  /** Every change, in the order of the file: services by name, then networks, volumes, secrets, configs. */
  changes: StackChange[];
  files: StackContentFile[];
}
