import { type ComposeDict, isDict } from '../dict.js';

const RESOURCE_KINDS = ['networks', 'volumes', 'secrets', 'configs'] as const;

/**
 * Top-level networks, volumes, secrets and configs get the name the engine uses: an explicit `name`
 * wins, an external resource is named by its key, anything else is `<project>_<key>`.
 */
export function setResourceNames(model: ComposeDict, projectName: string): void {
  for (const kind of RESOURCE_KINDS) {
    const defs = model[kind];
    if (!isDict(defs)) continue;
    for (const [key, value] of Object.entries(defs)) {
      const def: ComposeDict = isDict(value) ? value : {};
      if (typeof def.name !== 'string' || def.name === '') {
        def.name = def.external === true ? key : `${projectName}_${key}`;
      }
      defs[key] = def;
    }
  }
}
