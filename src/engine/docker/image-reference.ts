/**
 * Image references as the engine reads them (distribution/reference's normalisation): `busybox` is
 * `docker.io/library/busybox:latest`, `127.0.0.1:5000/app` is on the registry `127.0.0.1:5000`. Used to
 * find the registry's credentials and to tell whether two spellings name the same image.
 */

export const DOCKER_HUB = 'docker.io';

export interface ImageReference {
  /** Registry host (and port): `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path on that registry: `library/busybox`, `org/app`. */
  path: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not to a tag.
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let domain = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  const parsed: ImageReference = { domain, path };
  if (tag !== undefined) parsed.tag = tag;
  if (digest !== undefined) parsed.digest = digest;
  return parsed;
}

/** The fully qualified form: `docker.io/library/busybox:latest`, `host:5000/app@sha256:...`. */
export function normalizedImage(reference: string): string {
  const ref = parseImageReference(reference);
  const name = `${ref.domain}/${ref.path}`;
  if (ref.digest !== undefined)
    return ref.tag === undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}

/** Whether two references name the same image (`busybox` and `docker.io/library/busybox:latest`). */
export function sameImage(a: string, b: string): boolean {
  return normalizedImage(a) === normalizedImage(b);
}
