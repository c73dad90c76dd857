// The simulator reads command lines and dial strings as FreeSWITCH does (switch_utils.c, switch_event.c,
// switch_ivr_originate.c): each case below is what the switch's own code makes of the input.
import test from 'ava';
import { originateArguments, parseDialString } from '../../simulator/dialstring.ts';
import { cleanPiece, findEndParen, parseOriginateTarget, separate } from '../../simulator/fs-strings.ts';

test('separate at spaces: quotes group (every quote toggles), a backslash protects, pieces are cleaned', (t) => {
  t.deepEqual(separate('a b  c', ' '), ['a', 'b', 'c']);
  t.deepEqual(separate("'a b' c", ' '), ['a b', 'c']);
  // `\ ` is no escape in the clean-up: the backslash stays, but it kept the space from splitting.
  t.deepEqual(separate('a\\ b c', ' '), ['a\\ b', 'c']);
  t.deepEqual(separate("x\\sy \\'q\\' \\\\", ' '), ['x y', "'q'", '\\']);
  // At most `max` pieces: the last keeps the rest of the line.
  t.deepEqual(separate('a b c d', ' ', 2), ['a', 'b c d']);
});

test('separate at another delimiter: a quote opens only if another follows; \\<delim> and ^^X', (t) => {
  t.deepEqual(separate("a,b\\,c,'d,e'", ','), ['a', 'b,c', 'd,e']);
  t.deepEqual(separate("it's,x", ','), ["it's", 'x']);
  t.deepEqual(separate('a=b=c', '=', 2), ['a', 'b=c']);
  t.deepEqual(separate('a=', '=', 2), ['a']);
  t.deepEqual(separate('^^;a;b,c', ','), ['a', 'b,c']);
  t.deepEqual(separate('a,,b', ','), ['a', '', 'b']);
});

test('cleanPiece: leading and unquoted trailing spaces go, quoted ones stay; other backslashes stay', (t) => {
  t.is(cleanPiece('  a  ', ','), 'a');
  t.is(cleanPiece("' a '", ','), ' a ');
  t.is(cleanPiece('a\\{b', ','), 'a\\{b');
  t.is(cleanPiece('a\\,b', ','), 'a,b');
  t.is(cleanPiece('a\\,b', '='), 'a\\,b');
  t.is(cleanPiece("a''b", ','), 'ab');
});

test('findEndParen counts one kind of bracket only, quotes and backslashes do not hide one', (t) => {
  t.is(findEndParen('{a={b}}x', '{', '}'), 6);
  t.is(findEndParen("{a='}'}", '{', '}'), 4);
  t.is(findEndParen('{a=\\}}', '{', '}'), 4);
  t.is(findEndParen('{a={b}', '{', '}'), undefined);
  t.is(findEndParen('x{a}', '{', '}'), undefined);
});

test('parseOriginateTarget: <...> then {...}, then the leg’s own [...] blocks; :_: is an enterprise originate', (t) => {
  t.deepEqual(parseOriginateTarget("{a=1,b='x y'}[c=2]loopback/2600/default"), {
    vars: [
      ['a', '1'],
      ['b', 'x y'],
      ['c', '2'],
    ],
    endpoint: 'loopback/2600/default',
  });
  t.deepEqual(parseOriginateTarget('<u=1>{a=1}loopback/1')?.vars, [
    ['u', '1'],
    ['a', '1'],
  ]);
  t.deepEqual(parseOriginateTarget('[a=1,b=2]loopback/1')?.vars, [
    ['a', '1'],
    ['b', '2'],
  ]);
  // Quotes do not protect a comma in [...]: the dial string's split at `|` has already removed them ('2' has no `=`).
  t.deepEqual(parseOriginateTarget("[a='1,2',b=3]loopback/1")?.vars, [
    ['a', '1'],
    ['b', '3'],
  ]);
  // ^^X gives the block its own separator.
  t.deepEqual(parseOriginateTarget('[^^;a=1,2;b=3]loopback/1')?.vars, [
    ['a', '1,2'],
    ['b', '3'],
  ]);
  t.is(parseOriginateTarget('{a=1}loopback/1:_:loopback/2'), undefined);
  t.is(parseOriginateTarget('{a=1loopback/1'), undefined);
  // An unbalanced brace in a value ends the block early: the rest is taken for the dial string.
  t.is(parseOriginateTarget('{a=x}y}loopback/1')?.endpoint, 'y}loopback/1');
});

test('originate command line: the dial string is the first argument, cleaned once before its blocks are read', (t) => {
  const [dial, ...rest] = originateArguments(
    "{origination_caller_id_name=Pat\\sO\\'Brien,x=1}loopback/2600/default &park()",
  );
  t.deepEqual(rest, ['&park()']);
  t.deepEqual(parseDialString(dial!)?.vars, [
    ['origination_caller_id_name', "Pat O'Brien"],
    ['x', '1'],
  ]);
});
