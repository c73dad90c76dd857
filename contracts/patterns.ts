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

// ---------------------------------------------------------------------------------------------------------------
// What a pattern can still match: whether typing more digits could make it match (so a collection that matches now
// must wait), and whether it can match a string with a given digit in it (so that digit cannot end a code). Both are
// read off the RE2 program the matcher itself runs (re2js compiles each pattern to a Thompson NFA), so the answer is
// the matcher's: its threads are followed over the DTMF digits instead of over an input. Where the program holds
// what this does not model (word boundaries `\b` `\B`, lookbehind), the answer is the cautious one: "it may".

/** The keys a phone can send: what a collected string is made of. */
export const DTMF_DIGITS = '0123456789*#ABCD';

// re2js's instruction codes and empty-width conditions (its Inst and Utils classes; stable since RE2/J).
const OP = {
  ALT: 1,
  ALT_MATCH: 2,
  CAPTURE: 3,
  EMPTY_WIDTH: 4,
  FAIL: 5,
  MATCH: 6,
  NOP: 7,
  RUNE: 8,
  RUNE1: 9,
  RUNE_ANY: 10,
  RUNE_ANY_NOT_NL: 11,
} as const;
const BEGIN = 1 | 4; // begin of line, begin of text
const END = 2 | 8; // end of line, end of text
const WORD_BOUNDARIES = 16 | 32;

interface ProgInst {
  op: number;
  out: number;
  arg: number;
  matchRune(rune: number): boolean;
}
interface Prog {
  start: number;
  inst: ProgInst[];
}

/** The compiled program, or undefined when it holds anything this reading does not model. */
function programOf(pattern: CompiledPattern & { active: true }): Prog | undefined {
  const prog = (pattern.re.re2() as { prog?: Partial<Prog> & { numLb?: number } }).prog;
  if (!prog || !Array.isArray(prog.inst) || typeof prog.start !== 'number' || (prog.numLb ?? 0) > 0) return undefined;
  for (const inst of prog.inst) {
    if (inst.op > OP.RUNE_ANY_NOT_NL) return undefined;
    if (inst.op === OP.EMPTY_WIDTH && (inst.arg & WORD_BOUNDARIES) !== 0) return undefined;
  }
  return prog as Prog;
}

/** Instructions a search may visit before it gives the cautious answer: a few milliseconds, whatever the pattern. */
const SEARCH_BUDGET = 10_000;

class OverBudget extends Error {}

/** What searches may still spend, in instructions visited; one budget may be shared by the patterns of a document. */
export interface SearchBudget {
  left: number;
}

/** A budget for the patterns of one document, looked at for one digit. */
export function searchBudget(): SearchBudget {
  return { left: SEARCH_BUDGET };
}

/** The threads (instructions about to read a key, or the match) reached from `pcs` where `cond` holds. */
function closure(prog: Prog, pcs: Iterable<number>, cond: number, budget: SearchBudget): Set<number> {
  const out = new Set<number>();
  const seen = new Set<number>();
  const stack = [...pcs];
  while (stack.length) {
    const pc = stack.pop()!;
    if (pc === 0 || seen.has(pc)) continue; // pc 0 is re2js's fail instruction
    if (--budget.left < 0) throw new OverBudget();
    seen.add(pc);
    const inst = prog.inst[pc]!;
    switch (inst.op) {
      case OP.ALT:
      case OP.ALT_MATCH:
        stack.push(inst.out, inst.arg);
        break;
      case OP.EMPTY_WIDTH:
        if ((inst.arg & ~cond) === 0) stack.push(inst.out);
        break;
      case OP.NOP:
      case OP.CAPTURE:
        stack.push(inst.out);
        break;
      case OP.FAIL:
        break;
      default:
        out.add(pc);
    }
  }
  return out;
}

function reads(inst: ProgInst, rune: number): boolean {
  switch (inst.op) {
    case OP.RUNE:
    case OP.RUNE1:
      return inst.matchRune(rune);
    case OP.RUNE_ANY:
      return true;
    case OP.RUNE_ANY_NOT_NL:
      return rune !== 10;
    default:
      return false;
  }
}

/** One key read by every thread: the instructions they go on to (before their closure). */
function step(prog: Prog, threads: Set<number>, rune: number, budget: SearchBudget): number[] {
  const next: number[] = [];
  budget.left -= threads.size;
  if (budget.left < 0) throw new OverBudget();
  for (const pc of threads) {
    const inst = prog.inst[pc]!;
    if (reads(inst, rune)) next.push(inst.out);
  }
  return next;
}

/** Threads after reading `prefix` from the start (a position that is not the end), or undefined for none. */
function threadsAfter(prog: Prog, prefix: string, budget: SearchBudget): Set<number> | undefined {
  let threads = closure(prog, [prog.start], BEGIN, budget);
  for (const ch of prefix) {
    const next = step(prog, threads, ch.codePointAt(0)!, budget);
    if (!next.length) return undefined;
    threads = closure(prog, next, 0, budget);
  }
  return threads.size ? threads : undefined;
}

/**
 * Can the pattern match the whole of some string that is `prefix` followed by 1 to `room` more DTMF digits? A pattern
 * whose program holds word boundaries or lookbehind is taken to be able to (it may), as is one whose search would
 * cost more than its budget (SEARCH_BUDGET, shared by the patterns it is given to): the digits it could be waiting for
 * are then waited for, as before.
 */
export function canMatchLonger(
  pattern: CompiledPattern & { active: true },
  prefix: string,
  room: number,
  budget: SearchBudget = searchBudget(),
): boolean {
  if (room <= 0) return false;
  const prog = programOf(pattern);
  if (!prog) return true;
  if (budget.left <= 0) return true;
  try {
    return searchLonger(prog, prefix, room, budget);
  } catch (err) {
    if (err instanceof OverBudget) return true;
    throw err;
  }
}

function searchLonger(prog: Prog, prefix: string, room: number, budget: SearchBudget): boolean {
  const start = threadsAfter(prog, prefix, budget);
  if (!start) return false;
  const key = (threads: Set<number>) => [...threads].sort((a, b) => a - b).join(',');
  const seen = new Set<string>([key(start)]);
  let level = [start];
  for (let depth = 1; depth <= room && level.length; depth++) {
    const nextLevel: Set<number>[] = [];
    for (const threads of level) {
      for (const ch of DTMF_DIGITS) {
        const next = step(prog, threads, ch.codePointAt(0)!, budget);
        if (!next.length) continue;
        // Here the string may end (a match) or go on.
        const atEnd = closure(prog, next, END, budget);
        for (const pc of atEnd) if (prog.inst[pc]!.op === OP.MATCH) return true;
        const onward = closure(prog, next, 0, budget);
        const k = key(onward);
        if (!onward.size || seen.has(k)) continue;
        seen.add(k);
        nextLevel.push(onward);
      }
    }
    level = nextLevel;
  }
  return false;
}

/**
 * Can the pattern match a string with `digit` in it? Cautious: yes when any instruction of its program reads that key,
 * reachable or not, or when the program holds what this reading does not model.
 */
export function mayContain(pattern: CompiledPattern & { active: true }, digit: string): boolean {
  const prog = programOf(pattern);
  if (!prog) return true;
  const rune = digit.codePointAt(0)!;
  return prog.inst.some((inst) => reads(inst, rune));
}
