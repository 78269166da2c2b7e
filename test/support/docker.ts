/**
 * Suites that need a real dockerd and the local test image: they run where both exist and always in CI
 * (where .ci/run installs Debian's docker.io, starts dockerd and makes the image, so a missing engine
 * fails there instead of skipping); elsewhere they are skipped and say why once.
 */
import Dockerode from 'dockerode';
import { describe } from 'vitest';

/** Made by scripts/make-test-image.sh: busybox and its applets, `CMD ["sh"]`; nothing is ever pulled. */
export const TEST_IMAGE = 'berth-test/busybox:latest';

async function detect(): Promise<{ ok: boolean; reason: string }> {
  const docker = new Dockerode();
  try {
    await docker.ping();
  } catch (error) {
    return {
      ok: false,
      reason: `no Docker engine answers (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch {
    return { ok: false, reason: `the test image ${TEST_IMAGE} is missing: run scripts/make-test-image.sh` };
  }
  return { ok: true, reason: '' };
}

export const dockerSupport = await detect();

const runs = dockerSupport.ok || process.env.CI === 'true';
let told = false;

/** `describe` for a suite on the real dockerd; skipped with a printed reason where there is none. */
export function describeDocker(name: string, body: () => void): void {
  if (!runs && !told) {
    told = true;
    process.stderr.write(`skipping Docker-engine suites: ${dockerSupport.reason}\n`);
  }
  (runs ? describe : describe.skip)(name, body);
}

/** Force-removes every container (and its anonymous volumes) labelled with `project`, whatever its state. */
export async function removeProjectContainers(docker: Dockerode, project: string): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
}
