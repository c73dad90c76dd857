// Kazoo's metaflow documents as the engine runs them: every module Kazoo's schemas know is stored, Handoff runs
// transfer, blind_transfer, resume and hangup; a metaflow's transfer type is ignored as Konami ignores it.
import test from 'ava';
import { entryStatus, ignoredFields, inactiveEntries, runnableMetaflows } from '../../contracts/metaflow-entries.ts';
import { DEFAULT_FEATURE_CODE_LIMITS as limits } from '../../contracts/patterns.ts';

/** A transfer entry as Kazoo's validation stores it (its schema's defaults written in). */
const kazooTransfer = (data: Record<string, unknown> = {}) => ({
  module: 'transfer',
  data: { transfer_type: 'blind', captures: ['no_match'], ...data },
});

test("a Kazoo transfer runs attended whatever transfer_type says (Konami never reads it); captures are the digits'", (t) => {
  for (const data of [{}, { transfer_type: 'attended' }, { 'Transfer-Type': 'blind' }, { 'transfer-type': 'blind' }]) {
    const status = entryStatus('patterns', '^2(\\d+)$', kazooTransfer(data), limits);
    t.deepEqual(status, { active: true, metaflow: { module: 'transfer' } }, JSON.stringify(data));
  }
  t.deepEqual(
    entryStatus('numbers', '9', kazooTransfer({ target: '2600', moh: 'hold', takeback_dtmf: '*1' }), limits),
    {
      active: true,
      metaflow: { module: 'transfer', data: { target: '2600', moh: 'hold', takeback_dtmf: '*1' } },
    },
  );
});

test('blind_transfer is a blind transfer', (t) => {
  t.deepEqual(
    entryStatus('patterns', '^3(\\d+)$', { module: 'blind_transfer', data: { transfer_type: 'attended' } }, limits),
    {
      active: true,
      metaflow: { module: 'transfer', data: { transfer_type: 'blind' } },
    },
  );
});

test('modules Handoff does not run, and data it cannot run, are inactive with the reason', (t) => {
  const doc = {
    numbers: {
      '1': { module: 'move', data: { device_id: 'abc' } },
      '2': kazooTransfer(),
      '3': kazooTransfer({ target: '26 00' }),
      '4': kazooTransfer({ target: '2600', timeout: 0 }),
      '5': { module: 'resume' },
    },
    patterns: { '^5(\\d+)$': { module: 'sound_touch', data: { action: 'start' } }, '(?=1)': { module: 'hangup' } },
  };
  const inactive = inactiveEntries(doc, limits);
  t.deepEqual(Object.keys(inactive).sort(), ['numbers.1', 'numbers.2', 'numbers.3', 'numbers.4', 'patterns.^5(\\d+)$']);
  t.regex(inactive['numbers.1'] ?? '', /does not run the metaflow module move/);
  t.regex(inactive['numbers.2'] ?? '', /needs data\.target/);
  t.regex(inactive['numbers.3'] ?? '', /not a dialable number/);
  t.regex(inactive['numbers.4'] ?? '', /timeout/);
  // The engine never sees them.
  t.deepEqual(runnableMetaflows({ binding_digit: '*', ...doc }, limits), {
    binding_digit: '*',
    numbers: { '5': { module: 'resume' } },
  });
});

test('ignored fields are named: a metaflow transfer type, children', (t) => {
  const ignored = ignoredFields({
    patterns: {
      '^2(\\d+)$': { ...kazooTransfer(), children: { _: { module: 'hangup' } } },
      '^3(\\d+)$': { module: 'blind_transfer' },
    },
  });
  t.deepEqual(Object.keys(ignored).sort(), ['patterns.^2(\\d+)$.children', 'patterns.^2(\\d+)$.data.transfer_type']);
});

test("digits, Handoff's declared length of a pattern, is carried to the engine; a bad one makes the entry inactive", (t) => {
  t.deepEqual(entryStatus('patterns', '^2(\\d+)$', { module: 'transfer', digits: 5 }, limits), {
    active: true,
    metaflow: { module: 'transfer', digits: 5 },
  });
  t.deepEqual(entryStatus('patterns', '^1$', { module: 'resume', digits: 1 }, limits), {
    active: true,
    metaflow: { module: 'resume', digits: 1 },
  });
  for (const digits of [0, 2.5, '5', limits.maxDigits + 1]) {
    const status = entryStatus('patterns', '^2(\\d+)$', { module: 'transfer', digits }, limits);
    t.false(status.active, JSON.stringify(digits));
  }
  // On a number it says nothing (a number has its own length): not carried.
  t.deepEqual(entryStatus('numbers', '1', { module: 'resume', digits: 3 }, limits), {
    active: true,
    metaflow: { module: 'resume' },
  });
});

test("hold and hold_control keep Kazoo's moh_aleg and moh_bleg (the peer's music); one that names no media is inactive", (t) => {
  const moh = { moh_aleg: 'office-music', moh_bleg: 'tone_stream://%(250,0,440)' };
  t.deepEqual(entryStatus('numbers', '5', { module: 'hold', data: { ...moh, unhold_key: '1' } }, limits), {
    active: true,
    metaflow: { module: 'hold', data: moh },
  });
  t.deepEqual(entryStatus('numbers', '5', { module: 'hold' }, limits), { active: true, metaflow: { module: 'hold' } });
  t.deepEqual(entryStatus('numbers', '6', { module: 'hold_control', data: { moh_bleg: 'office-music' } }, limits), {
    active: true,
    metaflow: { module: 'hold_control', data: { action: 'toggle', moh_bleg: 'office-music' } },
  });
  t.like(entryStatus('numbers', '6', { module: 'hold_control', data: { moh_bleg: 'not media' } }, limits), {
    active: false,
    reason: 'data.moh_bleg is neither a media ID nor a stream Handoff plays',
  });
});
