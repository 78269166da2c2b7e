import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { STACK_VERSIONS } from '../convert/index.js';
import { captureDockerCli } from './docker-cli.js';
import type { CliIO } from './io.js';

/**
 * The newest stack file version the docker CLI at hand deploys (Debian's 20.10 stops at 3.9, CLI 28 at
 * 3.13), asked of the CLI itself: a probe file of each version, newest first, holding a key no version
 * has. A CLI that knows the version refuses the key; one that does not refuses the version. Neither
 * reaches the swarm, since the file is refused before anything is deployed.
 */
export async function newestVersionDeployable(io: CliIO, folder: string): Promise<string | undefined> {
  const file = path.join(folder, 'version-probe.yaml');
  for (const version of [...STACK_VERSIONS].reverse()) {
    await writeFile(
      file,
      `version: "${version}"\nservices:\n  probe:\n    image: probe\n    x_no_such_key: 1\n`,
    );
    const { output } = await captureDockerCli(
      io,
      ['stack', 'deploy', '--compose-file', file, 'berth-version-probe'],
      folder,
    );
    if (!/unsupported Compose file version/i.test(output)) return version;
  }
  return undefined;
}
