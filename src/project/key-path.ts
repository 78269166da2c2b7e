/** A location inside a Compose model: `['services', 'web', 'ports', 0]`. */
export type KeyPath = readonly (string | number)[];

/** Renders a key path the way compose-go prints it: `services.web.ports[0]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (out === '') out = segment;
    else out += `.${segment}`;
  }
  return out;
}

/** A stable map key for a key path (segments can contain dots, so they are joined by NUL). */
export function keyPathId(path: KeyPath): string {
  return path.map((s) => (typeof s === 'number' ? `#${s}` : s)).join('\u0000');
}
