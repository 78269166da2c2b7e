/** Engine API versions (`1.41`) compared as numbers: fields newer than the engine's are left out. */
export function apiAtLeast(version: string, minimum: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [wantMajor = 0, wantMinor = 0] = minimum.split('.').map(Number);
  return major !== wantMajor ? major > wantMajor : minor >= wantMinor;
}

/** The warning for an attribute the engine's API version has no field for. */
export function tooOld(serviceName: string, attribute: string, needs: string, has: string): string {
  return `service "${serviceName}": ${attribute} needs Docker Engine API ${needs} (this engine speaks ${has}) and is ignored`;
}
