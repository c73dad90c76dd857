import test from 'ava';
import { mergeMetaflowsDocs, normaliseMetaflowsDoc } from '../../store/index.ts';
import { toEngineMetaflows } from '../../store/metaflows.ts';
import { bothEngines, engineStore } from './engines.ts';

const transfer = { module: 'transfer', data: { takeback_dtmf: '*9' } };

bothEngines('metaflows: stored per level, replaced whole by set, removed by delete', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'acc', name: 'Acc' });
  const scope = { accountId: 'acc', level: 'account' as const };
  t.is(await store.getMetaflows(scope), undefined);
  await store.setMetaflows(scope, { binding_digit: '#', numbers: { '1': { module: 'resume' } } });
  const stored = await store.setMetaflows(scope, { binding_key: '*', patterns: { '^2(\\d+)$': transfer } });
  t.deepEqual(stored, { binding_digit: '*', patterns: { '^2(\\d+)$': transfer } });
  t.deepEqual(await store.getMetaflows(scope), stored);
  const device = { accountId: 'acc', level: 'device' as const, ownerId: 'dev1' };
  await store.setMetaflows(device, { numbers: { '9': { module: 'hangup' } } });
  t.deepEqual(await store.getMetaflows(device), { numbers: { '9': { module: 'hangup' } } });
  t.true(await store.deleteMetaflows(scope));
  t.false(await store.deleteMetaflows(scope));
  t.is(await store.getMetaflows(scope), undefined);
  await t.throwsAsync(store.setMetaflows({ accountId: 'acc', level: 'user' }, {}), { message: /user ID/ });
  await t.throwsAsync(store.setMetaflows({ accountId: 'nobody', level: 'account' }, {}), { message: /no account/ });
});

test('metaflows: normalisation folds Kazoo aliases, the canonical key wins', (t) => {
  t.deepEqual(normaliseMetaflowsDoc({ binding_key: '#', digit_timeout_ms: 500 }), {
    binding_digit: '#',
    digit_timeout: 500,
  });
  t.deepEqual(normaliseMetaflowsDoc({ binding_key: '#', binding_digit: '*' }), { binding_digit: '*' });
});

test('metaflows: merge is account → device → user, later wins, empty values ignored, entries replaced whole', (t) => {
  const merged = mergeMetaflowsDocs([
    { binding_digit: '*', digit_timeout: 800, numbers: { '1': transfer, '2': { module: 'hangup' } } },
    { digit_timeout: 1500, listen_on: '', numbers: {} },
    { binding_key: '#', numbers: { '1': { module: 'resume' } }, patterns: { '^3$': { module: 'hangup' } } },
  ]);
  t.deepEqual(merged, {
    binding_digit: '#',
    digit_timeout: 1500,
    numbers: { '1': { module: 'resume' }, '2': { module: 'hangup' } },
    patterns: { '^3$': { module: 'hangup' } },
  });
});

test("metaflows: Handoff's terminator and a pattern's digits reach the engine; a user's terminator \"\" turns it off", (t) => {
  const merged = mergeMetaflowsDocs([
    { terminator: '#', patterns: { '^2(\\d+)$': { module: 'transfer', digits: 5 } } },
    { terminator: '' },
  ]);
  t.is(merged.terminator, '', 'an empty terminator is a value: none');
  t.deepEqual(toEngineMetaflows(merged), {
    binding_digit: '*',
    terminator: '',
    patterns: { '^2(\\d+)$': { module: 'transfer', digits: 5 } },
  });
  t.is(toEngineMetaflows({ terminator: 'x', numbers: { '1': { module: 'resume' } } })?.terminator, undefined);
});

bothEngines('metaflows: effectiveMetaflows merges the levels that exist into the engine view', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'acc', name: 'Acc' });
  t.is(await store.effectiveMetaflows('acc', 'dev', 'usr'), undefined);

  await store.setMetaflows(
    { accountId: 'acc', level: 'account' },
    { numbers: { '1': { module: 'resume' } }, listen_on: 'both', children: 'ignored' },
  );
  t.deepEqual(await store.effectiveMetaflows('acc'), {
    binding_digit: '*',
    listen_on: 'both',
    numbers: { '1': { module: 'resume' } },
  });

  await store.setMetaflows({ accountId: 'acc', level: 'device', ownerId: 'dev' }, { digit_timeout: 1200 });
  await store.setMetaflows(
    { accountId: 'acc', level: 'user', ownerId: 'usr' },
    { binding_key: '#', patterns: { '^2(\\d+)$': transfer } },
  );
  t.deepEqual(await store.effectiveMetaflows('acc', 'dev', 'usr'), {
    binding_digit: '#',
    digit_timeout: 1200,
    listen_on: 'both',
    numbers: { '1': { module: 'resume' } },
    patterns: { '^2(\\d+)$': transfer },
  });
  // Another device's or user's documents do not apply.
  t.deepEqual((await store.effectiveMetaflows('acc', 'other', 'other'))?.binding_digit, '*');
});

bothEngines('metaflows: a document with no feature code applies nothing', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'acc', name: 'Acc' });
  await store.setMetaflows({ accountId: 'acc', level: 'account' }, { binding_digit: '#', numbers: {} });
  t.is(await store.effectiveMetaflows('acc'), undefined);
});

test("metaflows: Handoff's private_codes reaches the engine; a user's false turns the account's off", (t) => {
  const numbers = { '1': { module: 'resume' } };
  const merged = mergeMetaflowsDocs([{ private_codes: true, numbers }, { private_codes: false }]);
  t.is(toEngineMetaflows(merged)?.private_codes, false);
  t.is(toEngineMetaflows({ private_codes: true, numbers })?.private_codes, true);
  t.is(toEngineMetaflows({ private_codes: 'yes', numbers })?.private_codes, undefined);
  t.is(toEngineMetaflows({ numbers })?.private_codes, undefined);
});
