// Channel variables on an originate command line come back exactly as given when the switch's own parsing (the
// simulator's port of it, simulator/fs-strings.ts) reads them; what cannot be quoted is refused, not sent changed.
import test from 'ava';
import { originateVariableBlocks, unquotable, UnquotableValue } from '../../activities/originate-vars.ts';
import { originateArguments, parseDialString } from '../../simulator/dialstring.ts';
import { Rng } from '../../simulator/random.ts';

/** What the switch makes of `originate <vars>loopback/2600/default &park()`. */
function readBack(vars: Record<string, string>): { vars: Record<string, string>; rest: string[]; ext?: string } {
  const line = `${originateVariableBlocks(vars)}loopback/2600/default &park()`;
  const [dial, ...rest] = originateArguments(line);
  const parsed = parseDialString(dial ?? '');
  return { vars: Object.fromEntries(parsed?.vars ?? []), rest, ext: parsed?.ext };
}

const ODD_NAMES = [
  `Pat\\ O'Brien "Jr"`,
  '{Zoë}, [Ops] <Sales> = 100%',
  '  Ünïcødé  ',
  'a:_:b :_:_: c',
  'Smith } {{ (Acme',
  'a}<b',
  '^^,x',
  "'",
  '\\',
  "''",
  'a=b,c|d;e',
  '$5 off $$ $ {',
  'not ARRAY:: at the start',
  '日本語の名前',
  '😀 emoji',
];

test('odd caller names come back unchanged, whichever block holds them', (t) => {
  for (const name of ODD_NAMES) {
    const vars = { origination_uuid: 'u-1', origination_caller_id_name: name, origination_caller_id_number: '1001' };
    const back = readBack(vars);
    t.deepEqual(back.vars, vars, JSON.stringify(name));
    t.deepEqual(back.rest, ['&park()'], JSON.stringify(name));
    t.is(back.ext, '2600', JSON.stringify(name));
  }
});

test('the report’s name: one argument with no space, in the global block, nothing the switch would split', (t) => {
  const line = originateVariableBlocks({ origination_caller_id_name: `Pat\\ O'Brien "Jr"`, a: 'x:_:y' });
  t.true(line.startsWith('{origination_caller_id_name=Pat'));
  t.false(line.includes(' '));
  t.false(line.includes(':_:'));
});

test('random printable values (ASCII specials and UTF-8) come back unchanged or are refused with a reason', (t) => {
  const rng = new Rng(20261201);
  const alphabet = [...' \\\'"{}[]<>,=|:_^$;&%!@#`~()*+-./?aZ09ëÜ日😀'];
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const length = rng.int(1, 24);
    let value = '';
    for (let k = 0; k < length; k++) value += alphabet[rng.int(0, alphabet.length - 1)];
    const name = i % 2 ? 'origination_caller_id_name' : 'ecallmgr_Account-ID';
    const why = unquotable(name, value);
    if (why) {
      refused++;
      t.throws(
        () => originateVariableBlocks({ [name]: value }),
        { instanceOf: UnquotableValue },
        JSON.stringify(value),
      );
      continue;
    }
    const vars = { origination_uuid: `u-${i}`, [name]: value, other: 'x' };
    t.deepEqual(readBack(vars).vars, vars, JSON.stringify(value));
  }
  t.log(`${refused} of 3000 refused`);
  t.true(refused < 600, 'most values can be quoted');
});

test('what cannot be quoted: control characters, ARRAY::, all three brackets unbalanced, ${ outside the caller ID', (t) => {
  t.regex(unquotable('origination_caller_id_name', 'a\nb') ?? '', /control character/);
  t.regex(unquotable('origination_caller_id_name', 'a\tb') ?? '', /control character/);
  t.regex(unquotable('origination_caller_id_name', 'ARRAY::a|:b') ?? '', /ARRAY::/);
  t.regex(unquotable('origination_caller_id_name', 'a}>]') ?? '', /unbalances/);
  t.regex(unquotable('ecallmgr_Realm', '${x}') ?? '', /\$\{/);
  t.is(unquotable('origination_caller_id_name', '${x}'), undefined);
  t.deepEqual(readBack({ origination_caller_id_name: '${x}' }).vars, { origination_caller_id_name: '${x}' });
  t.throws(() => originateVariableBlocks({ 'bad name': 'x' }), { instanceOf: UnquotableValue });
  // An empty value is no variable at all.
  t.is(originateVariableBlocks({ a: '' }), '');
});
