/**
 * Which changed paths a develop.watch rule leaves alone: `.git`, editor temporary files, the build
 * context's .dockerignore, the rule's own `ignore` and `include` patterns. Patterns use .dockerignore
 * syntax (through @balena/dockerignore, a port of Docker's matcher); paths are matched relative to a
 * base folder, with `/` separators, case-sensitively as Docker does on Linux.
 */
import path from 'node:path';

import type { Ignore } from '@balena/dockerignore';

import { compileDockerignore } from '../engine/dockerignore.js';
import { relativeInside } from './paths.js';

/** Folders never watched wherever they appear: version control and JetBrains' project state. */
const IGNORED_FOLDERS = new Set(['.git', '.idea']);

/**
 * Editor temporary, backup, swap and lock files (at least what compose calls ephemeral): vim swap files
 * and its `4913` write probe, `~` backups, emacs locks and autosaves, JetBrains safe-write files, kate
 * swap files, Go's umask probes, and macOS Finder's `.DS_Store`.
 */
const EDITOR_TEMP_FILES: readonly RegExp[] = [
  /\.sw[nopx]$/,
  /^4913$/,
  /~$/,
  /^\.#/,
  /^#.*#$/,
  /___jb_(tmp|old)___$/,
  /^\..*\.kate-swp$/,
  /-go-tmp-umask$/,
  /^\.DS_Store$/,
];

/** Whether a file name (no folder) is an editor's temporary, backup or swap file. */
export function isEditorTempFile(baseName: string): boolean {
  return EDITOR_TEMP_FILES.some((pattern) => pattern.test(baseName));
}

/** Whether a relative path (`/`-separated) lies in a `.git` or `.idea` folder, or is one. */
export function inIgnoredFolder(relativePath: string): boolean {
  return relativePath.split('/').some((name) => IGNORED_FOLDERS.has(name));
}

/** Tells whether an absolute path matches; for a folder, whether nothing under it can be wanted either. */
export type PathMatcher = (absolutePath: string, isDirectory: boolean) => boolean;

interface Rule {
  negative: boolean;
  /** The pattern alone, without `!`: does it match a path (or one of the path's parents)? */
  matcher: Ignore;
  /** The cleaned pattern split on `/`, to tell whether it may match below a folder. */
  segments: string[];
  /** Matchers of the single segments, built on first use. */
  segmentMatchers: Map<number, Ignore>;
}

/**
 * Matches .dockerignore patterns against paths under `baseDir` (paths outside it, and the folder itself,
 * never match). The last pattern that matches a path or one of its parents decides, so `!` exceptions
 * re-include. A folder matches only when no later exception could re-include something inside it.
 */
export function patternMatcher(baseDir: string, patterns: readonly string[]): PathMatcher {
  const rules = patterns.flatMap((pattern) => compileRule(pattern));
  const all = newIgnore().add(rules.map((rule) => (rule.negative ? '!' : '') + rule.segments.join('/')));
  const hasExceptions = rules.some((rule) => rule.negative);
  return (absolutePath, isDirectory) => {
    const relative = relativeInside(baseDir, absolutePath);
    if (relative === undefined || relative === '' || rules.length === 0) return false;
    if (!isDirectory || !hasExceptions) return all.ignores(relative);
    return wholeFolderMatches(rules, relative);
  };
}

function compileRule(raw: string): Rule[] {
  let pattern = raw.trim();
  if (pattern === '' || pattern.startsWith('#')) return [];
  const negative = pattern.startsWith('!');
  if (negative) pattern = pattern.slice(1).trim();
  // Cleaned as Docker cleans patterns: `./a/../b/` is `b`, a leading `/` anchors nothing.
  pattern = path.posix.normalize(pattern).replace(/^\/+/, '').replace(/\/+$/, '');
  if (pattern === '' || pattern === '.') return [];
  return [
    {
      negative,
      matcher: newIgnore().add(pattern),
      segments: pattern.split('/'),
      segmentMatchers: new Map(),
    },
  ];
}

function newIgnore(): Ignore {
  return compileDockerignore();
}

function wholeFolderMatches(rules: readonly Rule[], folder: string): boolean {
  let decisive = -1;
  rules.forEach((rule, i) => {
    if (rule.matcher.ignores(folder)) decisive = i;
  });
  if (decisive < 0 || rules[decisive]!.negative) return false;
  // Only a later exception can beat the pattern that matched the folder, as it matches everything inside.
  const below = folder.split('/');
  return !rules.slice(decisive + 1).some((rule) => rule.negative && mayMatchBelow(rule, below));
}

/** Whether a pattern could match some path strictly inside the folder (conservative: when unsure, yes). */
function mayMatchBelow(rule: Rule, folder: readonly string[]): boolean {
  for (const [i, segment] of rule.segments.entries()) {
    if (i >= folder.length) return true;
    if (segment.includes('**') || /^[#!]/.test(segment)) return true;
    let matcher = rule.segmentMatchers.get(i);
    if (matcher === undefined) {
      matcher = newIgnore().add(segment);
      rule.segmentMatchers.set(i, matcher);
    }
    if (!matcher.ignores(folder[i]!)) return false;
  }
  // The pattern matches the folder itself or a parent: it already took part in the folder's decision.
  return false;
}

/** What decides, for one watch rule, which changed paths are left alone. */
export interface IgnoreSpec {
  /** The rule's path: a folder, or a single file. */
  root: string;
  /** The build context and its .dockerignore patterns, for paths inside the context. */
  context?: { dir: string; patterns: readonly string[] };
  /** The rule's `ignore` patterns, relative to `root`. */
  ignore?: readonly string[];
  /** The rule's `include` patterns, relative to `root`: files matching none are ignored. */
  include?: readonly string[];
}

/**
 * The `ignored(absolutePath, isDirectory?)` of a watch rule. Outside `root`: ignored. `root` itself: never
 * (the user named it). A folder is ignored only when nothing under it can be wanted; when `isDirectory`
 * is not known the answer is the folder's, so that a watcher never skips a tree by mistake.
 */
export function ignoreMatcher(spec: IgnoreSpec): (absolutePath: string, isDirectory?: boolean) => boolean {
  const context = spec.context ? dockerignoreMatcher(spec.context.dir, spec.context.patterns) : undefined;
  const own = spec.ignore?.length ? patternMatcher(spec.root, spec.ignore) : undefined;
  const include = spec.include?.length ? patternMatcher(spec.root, spec.include) : undefined;
  return (absolutePath, isDirectory) => {
    const relative = relativeInside(spec.root, absolutePath);
    if (relative === undefined) return true;
    if (relative === '') return false;
    if (inIgnoredFolder(relative)) return true;
    const folder = isDirectory !== false;
    if (context?.(absolutePath, folder) || own?.(absolutePath, folder)) return true;
    if (folder) return false;
    if (isEditorTempFile(path.posix.basename(relative))) return true;
    return include !== undefined && !include(absolutePath, false);
  };
}

/**
 * A .dockerignore holding the bare `*` pattern is an allow-list of what goes into the image; compose's
 * watch then drops every pattern but the `!` exceptions, which leaves nothing ignored. So does berth.
 */
export function dockerignoreMatcher(contextDir: string, patterns: readonly string[]): PathMatcher {
  return patternMatcher(contextDir, patterns.includes('*') ? [] : patterns);
}
