// Feature-code patterns on RE2: which run, which are stored but inactive (and why), what the engine is given.
import test from 'ava';
import {
  canMatchLonger,
  compilePattern,
  mayContain,
  searchBudget,
  DEFAULT_FEATURE_CODE_LIMITS,
  featureCodeLimits,
  inactivePatterns,
  matchPattern,
} from '../../contracts/patterns.ts';
import { runnableMetaflows } from '../../contracts/metaflow-entries.ts';

const limits = DEFAULT_FEATURE_CODE_LIMITS;

test('compilePattern: the seed patterns run on RE2 with the captures the backtracking engine gave', (t) => {
  for (const [pattern, input, captures] of [
    ['^2(\\d+)$', '22600', ['2600']],
    ['2(\\d+)', '22600', ['2600']],
    ['(1|12)', '12', ['12']],
    ['(\\d+?)(\\d*)', '123', ['1', '23']],
    ['3(?:\\d)(\\d+)', '3912', ['12']],
    ['(7)?8', '8', ['']],
  ] as const) {
    const compiled = compilePattern(pattern, limits);
    if (!compiled.active) return t.fail(`${pattern}: ${compiled.reason}`);
    t.deepEqual(matchPattern(compiled, input), [...captures], pattern);
    const js = new RegExp(`^(?:${pattern})$`).exec(input);
    t.deepEqual(
      js?.slice(1).map((c) => c ?? ''),
      [...captures],
      `${pattern}: same as JavaScript's engine`,
    );
  }
});

test('compilePattern: inactive patterns and why', (t) => {
  const reason = (p: string, l = limits) => {
    const c = compilePattern(p, l);
    return c.active ? 'active' : c.reason;
  };
  t.is(reason('([0-9]*)*#'), 'active');
  t.regex(reason('(?=1)\\d'), /^the linear-time \(RE2\) engine cannot run it: .*\(\?=/);
  t.regex(reason('(\\d)\\1'), /cannot run it: .*\\1/);
  t.regex(reason('['), /cannot run it: .*missing closing \]/);
  t.is(reason(''), 'empty pattern');
  t.is(reason('1'.repeat(129)), 'longer than 128 characters');
  t.regex(reason('\\d{1000}'), /^too large: \d+ RE2 instructions, more than 1000$/);
});

test('inactivePatterns: names each key that is not run', (t) => {
  t.deepEqual(Object.keys(inactivePatterns({ '2(\\d+)': {}, '(?!0)\\d+': {}, '\\d{999}': {} }, limits)), [
    '(?!0)\\d+',
    '\\d{999}',
  ]);
  t.deepEqual(inactivePatterns(undefined, limits), {});
});

test('runnableMetaflows: the engine gets only what it may run; nothing left is undefined', (t) => {
  const doc = {
    binding_digit: '*',
    listen_on: 'peer' as const,
    numbers: { '1': { module: 'resume' }, ['1'.repeat(33)]: { module: 'hangup' } },
    patterns: { '2(\\d+)': { module: 'transfer' }, '(\\d)\\1': { module: 'hangup' } },
  };
  t.deepEqual(runnableMetaflows(doc, limits), {
    binding_digit: '*',
    listen_on: 'peer',
    numbers: { '1': { module: 'resume' } },
    patterns: { '2(\\d+)': { module: 'transfer' } },
  });
  t.is(runnableMetaflows({ binding_digit: '*', patterns: { '(?=1)': { module: 'hangup' } } }, limits), undefined);
});

test('featureCodeLimits: from the FEATURE_CODE_* settings, defaults for those left out', (t) => {
  t.deepEqual(featureCodeLimits({}), DEFAULT_FEATURE_CODE_LIMITS);
  t.deepEqual(featureCodeLimits({ FEATURE_CODE_MAX_DIGITS: 8, FEATURE_CODE_MAX_PATTERNS: 4 }), {
    ...DEFAULT_FEATURE_CODE_LIMITS,
    maxDigits: 8,
    maxPatterns: 4,
  });
});

function active(pattern: string) {
  const compiled = compilePattern(pattern, limits);
  if (!compiled.active) throw new Error(`test bug: ${pattern} is not run`);
  return compiled;
}

test('canMatchLonger: read off the RE2 program, over the DTMF keys, within the room left', (t) => {
  for (const [pattern, prefix, room, want] of [
    ['^2(\\d+)$', '22600', 27, true], // the seed: always one more digit
    ['^2(\\d{4})$', '22600', 27, false],
    ['^2(\\d{4})$', '2260', 28, true],
    ['^2(\\d{4})$', '2260', 0, false], // no room: the digit cap
    ['2(\\d{3,4})', '2260', 28, true],
    ['2(\\d{3,4})', '22600', 27, false],
    ['1|12', '1', 31, true],
    ['1|12', '12', 30, false],
    ['2(\\d+)#', '22600#', 26, false], // Kazoo's own terminator, in the pattern
    ['2\\d{3}|2\\d{5}', '2260', 28, true],
    ['9', '2', 31, false], // cannot match with this prefix at all
    ['((((\\d*)*)*)*)', '1234', 28, true],
    ['(?i)a', 'A', 31, false],
    ['\\b2\\d{4}', '22600', 27, true], // word boundaries are not modelled: "it may"
  ] as const) {
    t.is(canMatchLonger(active(pattern), prefix, room), want, `${pattern} after ${prefix}`);
  }
});

test('mayContain: a pattern that may read the key, anywhere in its program', (t) => {
  t.false(mayContain(active('^2(\\d+)$'), '#'));
  t.true(mayContain(active('^2(\\d+)$'), '9'));
  t.true(mayContain(active('2(.+)'), '#'));
  t.true(mayContain(active('([0-9]*)*#'), '#'));
  t.true(mayContain(active('[*#]9'), '*'));
  t.false(mayContain(active('\\*9'), '#'));
});

test('canMatchLonger: a search past its budget gives the cautious answer; the budget is shared', (t) => {
  // "the 12th digit from the end is a 1": thousands of thread sets before the first match.
  const costly = active('[0-9]*1[0-9]{11}');
  const budget = searchBudget();
  t.true(canMatchLonger(costly, '2', 31, budget));
  t.true(budget.left <= 0, 'spent');
  // A pattern that cannot go on is then taken to be able to: the timer decides, as before.
  t.false(canMatchLonger(active('^2(\\d{4})$'), '22600', 27));
  t.true(canMatchLonger(active('^2(\\d{4})$'), '22600', 27, budget));
});
