import test from 'ava';
import { decodeEslValue } from '../../workers/esl/index.ts';

test('decodes %XX as bytes, keeps + and lone %', (t) => {
  t.is(decodeEslValue('sofia/internal/1001%40192.168.56.120%3A5081'), 'sofia/internal/1001@192.168.56.120:5081');
  t.is(decodeEslValue('a+b'), 'a+b');
  t.is(decodeEslValue('100%'), '100%');
  t.is(decodeEslValue('%25(2000,4000,440,480)'), '%(2000,4000,440,480)');
  t.is(decodeEslValue('caf%C3%A9 caf\u00e9'), 'caf\u00e9 caf\u00e9');
});

test('invalid UTF-8 becomes replacement characters instead of throwing', (t) => {
  t.notThrows(() => decodeEslValue('%ED%A0%BD%ED%B8%80'));
  t.true(decodeEslValue('UA %ED%A0%BD').startsWith('UA \ufffd'));
});
