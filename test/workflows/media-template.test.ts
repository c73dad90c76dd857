// MEDIA_URL_TEMPLATE: what a Kazoo media ID becomes on the switch, and which templates are refused at start-up.
import test from 'ava';
import { loadConfig } from '../../config/index.ts';
import { kazooAccountDb, mediaTemplateProblem, mediaUrlFromTemplate } from '../../contracts/media.ts';

test("a 32-hex account's database is Kazoo's encoded account/xx/yy/rest", (t) => {
  t.is(kazooAccountDb('4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21'), 'account%2F4b%2F8c%2F5a2f3e1d4c6b9a8f7e6d5c4b3a21');
});

test('placeholders are filled with IDs only; the template off, or an ID that is none, gives nothing', (t) => {
  t.is(
    mediaUrlFromTemplate('http_cache://http://media:8080/{account_id}/{media_id}.mp3', 'acc', 'hold'),
    'http_cache://http://media:8080/acc/hold.mp3',
  );
  t.is(mediaUrlFromTemplate('', 'acc', 'hold'), undefined);
  t.is(mediaUrlFromTemplate('http://m/{media_id}', 'acc', 'a b'), undefined);
  t.is(mediaUrlFromTemplate('http://m/{media_id}', 'acc', '../x'), undefined);
});

test('a template that could reach further than a URL is refused, naming why, and stops start-up', (t) => {
  for (const bad of [
    'http://m/{media_id} &echo',
    'http://m/{media_id},x',
    "http://m/'{media_id}'",
    'http://m/{mediaid}',
    'http://m/static.mp3',
    'playback::{media_id}',
    'http://m/{media_id};x',
  ]) {
    t.truthy(mediaTemplateProblem(bad), bad);
    t.throws(() => loadConfig({ MEDIA_URL_TEMPLATE: bad }), undefined, bad);
  }
  t.is(mediaTemplateProblem(''), undefined);
  t.is(loadConfig({}).MEDIA_URL_TEMPLATE, 'http_cache://http://127.0.0.1:5984/{account_db}/{media_id}/{media_id}');
});
