/**
 * The `name` a stack file should give a top-level resource, or undefined when it is the name compose
 * made up (`<project>_<key>`): a stack prefixes its resources with the stack name itself, so writing the
 * compose project's prefix would name them after the project instead of the stack.
 */
export function explicitName(key: string, name: string, projectName: string): string | undefined {
  return name === `${projectName}_${key}` ? undefined : name;
}
