// Feature-code patterns (metaflow `patterns` keys) on a linear-time engine. Kazoo runs them on a backtracking engine,
// where a key like `([0-9]*)*#` takes minutes to fail on thirty-odd digits; here they run on RE2's semantics (re2js,
// pure JavaScript, deterministic, so it runs inside workflow code), whose matching time grows with the pattern's size
// times the input's, never exponentially. Both are capped (FeatureCodeLimits), so every match is cheap. A pattern RE2
// cannot run (lookaround, backreferences, anything re2js refuses) or one over the caps is inactive: stored as posted,
// reported by the API, never run.
import { RE2JS } from 're2js';

export interface FeatureCodeLimits {
  /** Digits collected after the binding digit; one more ends the collection as no match. Also the longest `numbers` key. */
  maxDigits: number;
  /** The longest `patterns` key, in characters. */
  maxPatternLength: number;
  /** The largest compiled pattern, in RE2 program instructions (what one match step costs). */
  maxPatternProgram: number;
  /** The most `patterns` keys in one metaflows document. */
  maxPatterns: number;
}

/** The defaults of config/index.ts; also what a workflow uses when its recorded policy carries no limits. */
export const DEFAULT_FEATURE_CODE_LIMITS: FeatureCodeLimits = {
  maxDigits: 32,
  maxPatternLength: 128,
  maxPatternProgram: 1000,
  maxPatterns: 32,
};

/** The limits of the configuration's FEATURE_CODE_* settings (config/index.ts); a setting left out keeps its default. */
export function featureCodeLimits(settings: {
  FEATURE_CODE_MAX_DIGITS?: number;
  FEATURE_CODE_PATTERN_MAX_LENGTH?: number;
  FEATURE_CODE_PATTERN_MAX_PROGRAM?: number;
  FEATURE_CODE_MAX_PATTERNS?: number;
}): FeatureCodeLimits {
  const d = DEFAULT_FEATURE_CODE_LIMITS;
  return {
    maxDigits: settings.FEATURE_CODE_MAX_DIGITS ?? d.maxDigits,
    maxPatternLength: settings.FEATURE_CODE_PATTERN_MAX_LENGTH ?? d.maxPatternLength,
    maxPatternProgram: settings.FEATURE_CODE_PATTERN_MAX_PROGRAM ?? d.maxPatternProgram,
    maxPatterns: settings.FEATURE_CODE_MAX_PATTERNS ?? d.maxPatterns,
  };
}

export type CompiledPattern = { active: true; re: RE2JS; groups: number } | { active: false; reason: string };

/** Compiles a pattern key as the collector runs it: on RE2, matching the WHOLE collected string. */
export function compilePattern(pattern: string, limits: FeatureCodeLimits): CompiledPattern {
  if (pattern.length === 0) return { active: false, reason: 'empty pattern' };
  if (pattern.length > limits.maxPatternLength) {
    return { active: false, reason: `longer than ${limits.maxPatternLength} characters` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    return { active: false, reason: `the linear-time (RE2) engine cannot run it: ${(err as Error).message}` };
  }
  const size = re.programSize();
  if (size > limits.maxPatternProgram) {
    return {
      active: false,
      reason: `too large: ${size} RE2 instructions, more than ${limits.maxPatternProgram}`,
    };
  }
  return { active: true, re, groups: re.groupCount() };
}

/** The captures (unset groups as '') when the pattern matches all of `collected`, else undefined. */
export function matchPattern(pattern: CompiledPattern & { active: true }, collected: string): string[] | undefined {
  const m = pattern.re.matcher(collected);
  if (!m.matches()) return undefined;
  const captures: string[] = [];
  for (let g = 1; g <= pattern.groups; g++) captures.push(m.group(g) ?? '');
  return captures;
}

/** Why each inactive pattern of a document is not run, by key (empty when all run). */
export function inactivePatterns(
  patterns: Record<string, unknown> | undefined,
  limits: FeatureCodeLimits,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(patterns ?? {})) {
    const compiled = compilePattern(key, limits);
    if (!compiled.active) out[key] = compiled.reason;
  }
  return out;
}
