// Fidelity of the connection-level protocol: steps 00 (connect, global commands), 00a (auth failure), 99 (exit),
// byte for byte where the capture's bytes do not depend on time or identity; and the header order of channel events.

import test from 'ava';
import { EslClient, type EslEvent, type EslFrame } from '../support/esl-client.ts';
import { switchUnderTest } from '../support/switch.ts';
import { capturesAvailable, loadCapture, replies, SWITCH_00_18 } from './captures.ts';
import { replayStep } from './replay.ts';

const run = capturesAvailable() ? test : test.skip;
const VOLATILE =
  /^(Core-UUID|FreeSWITCH-Hostname|FreeSWITCH-Switchname|FreeSWITCH-IPv4|FreeSWITCH-IPv6|Event-Date-.*|Event-Sequence)$/;

function stable(e: EslEvent): string {
  return e.list.map(([k, v]) => `${k}: ${VOLATILE.test(k) ? '*' : v}`).join('\n');
}

run('00a-auth-fail: -ERR invalid, the disconnect notice, then the socket closes (bytes exact)', async (t) => {
  const cap = loadCapture('00a-auth-fail');
  const sut = await switchUnderTest(SWITCH_00_18);
  try {
    const c = await EslClient.open(sut);
    c.write('auth WrongPassword\n\n');
    await c.waitClosed();
    const got = c.frames.map((f) => f.raw).join('');
    const want = cap.frames.map((f) => f.raw).join('');
    t.log(`compared ${cap.frames.length} frames byte for byte`);
    t.is(got, want);
  } finally {
    await sut.close();
  }
});

run('99-exit: +OK bye, the disconnect notice, then the socket closes (bytes exact)', async (t) => {
  const cap = loadCapture('99-exit');
  const sut = await switchUnderTest(SWITCH_00_18);
  try {
    const c = await EslClient.connect(sut, null);
    const before = c.frames.length;
    c.write('exit\n\n');
    await c.waitClosed();
    t.is(
      c.frames
        .slice(before)
        .map((f) => f.raw)
        .join(''),
      cap.frames.map((f) => f.raw).join(''),
    );
  } finally {
    await sut.close();
  }
});

run(
  '00-connect: greeting, auth, event, api replies, API events and bgapi job (bytes exact but for time and identity)',
  async (t) => {
    const cap = loadCapture('00-connect');
    const sut = await switchUnderTest(SWITCH_00_18);
    const c = await EslClient.open(sut);
    try {
      t.is(c.frames[0]!.raw, cap.frames[0]!.raw, 'auth/request greeting');
      for (const cmd of cap.commands) {
        const job = cmd.text.startsWith('bgapi') ? '\nJob-UUID: 518a8d15-842e-44f2-a13a-2f957e58f26e' : '';
        c.write(`${cmd.text}${job}\n\n`);
      }
      await c.waitForEvent((e) => e.name === 'BACKGROUND_JOB');
      await new Promise((r) => setTimeout(r, 50));
      const want = replies(cap.frames);
      const got = replies(c.frames);
      t.is(got.length, want.length, 'number of replies');
      const raw = (f: EslFrame): string => f.raw;
      want.forEach((w, i) => {
        const g = got[i]!;
        if (/^UP /.test(w.text)) {
          t.regex(
            g.text,
            /^UP \d+ years?, \d+ days?, \d+ hours?, \d+ minutes?, \d+ seconds?, \d+ milliseconds?, \d+ microseconds?\n/,
          );
          t.is(g.text.split('\n').length, w.text.split('\n').length, 'status has the captured number of lines');
          t.is(g.text.split('\n')[1], w.text.split('\n')[1]);
        } else {
          t.is(raw(g.frame), raw(w.frame), `reply ${i + 1} (${cap.commands[i - 1]?.text ?? 'greeting'})`);
        }
      });
      const wantEvents = cap.events.filter((e) => e.name === 'API').map(stable);
      const gotEvents = c.events.filter((e) => e.name === 'API').map(stable);
      t.deepEqual(gotEvents, wantEvents, 'API events: header order and values');
      const job = c.events.find((e) => e.name === 'BACKGROUND_JOB')!;
      const capJob = cap.events.find((e) => e.name === 'BACKGROUND_JOB')!;
      t.deepEqual(
        job.list.map(([k]) => k),
        capJob.list.map(([k]) => k),
        'BACKGROUND_JOB header order',
      );
      t.is(job.headers['Job-UUID'], '518a8d15-842e-44f2-a13a-2f957e58f26e', 'caller-chosen Job-UUID honoured');
      t.regex(job.body ?? '', /^UP /);
    } finally {
      // A real switch outlives the test: a connection left open would keep this file's process alive.
      await c.close();
      await sut.close();
    }
  },
);

run('channel events carry the captured headers in the captured order (step 10, variables aside)', async (t) => {
  const sut = await switchUnderTest(SWITCH_00_18);
  try {
    const r = await replayStep('10-attended-completed', sut);
    const cap = loadCapture('10-attended-completed');
    const names = (e: EslEvent): string =>
      e.list
        .map(([k]) => k)
        .filter((k) => !k.startsWith('variable_'))
        .join(',');
    const seen = new Set<string>();
    let compared = 0;
    for (const ce of cap.events) {
      // Loopback partner hangups are compared elsewhere (their UNPARK/HANGUP order races).
      if (ce.headers['Call-Direction'] !== 'outbound') continue;
      const key = `${ce.name}/${ce.headers['Application'] ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const se = r.events.find(
        (e) =>
          e.name === ce.name &&
          (e.headers['Application'] ?? '') === (ce.headers['Application'] ?? '') &&
          e.headers['Call-Direction'] === 'outbound',
      );
      t.truthy(se, `the simulator sent no ${key}`);
      if (se) t.is(names(se), names(ce), `${key} header names and order`);
      compared++;
    }
    t.log(`compared the header order of ${compared} event kinds`);
  } finally {
    await sut.close();
  }
});
