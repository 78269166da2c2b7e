/** commander reads `--no-attach X` as the negation of `--attach`: main() renames it to this first. */
export const NO_ATTACH_ALIAS = '--without-attach';

/** `up --no-attach X` gets its own option name before commander sees it. */
export function rewriteNoAttach(argv: string[]): string[] {
  return argv.map((arg) =>
    arg === '--no-attach'
      ? NO_ATTACH_ALIAS
      : arg.startsWith('--no-attach=')
        ? `${NO_ATTACH_ALIAS}=${arg.slice('--no-attach='.length)}`
        : arg,
  );
}
