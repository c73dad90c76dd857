// The hearing helper against the captures' own "What each party hears" tables (README section 10): feed it the
// events of each real FreeSWITCH transcript and check every row at its start and just before its end.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { HearingTracker, type Hearing } from '../support/hearing.ts';
import { capturesAvailable, capturesDir, loadCapture } from './captures.ts';

const run = capturesAvailable() ? test : test.skip;

const STREAMS: Record<string, string> = {
  ringback: 'tone_stream://%(2000,4000,440,480);loops=-1',
  music: 'tone_stream://%(500,500,350);loops=-1',
};

interface Row {
  parties: string[];
  from: number;
  to?: number;
  toOther: boolean;
  hears: string;
  line: string;
}

function tables(): Map<string, Row[]> {
  const readme = readFileSync(path.join(capturesDir, 'README.md'), 'utf8');
  const out = new Map<string, Row[]>();
  for (const section of readme.split(/^### /m)) {
    const step = /\(`(1\d-[a-z-]+)\.\*`\)/.exec(section.split('\n')[0] ?? '')?.[1];
    if (!step) continue;
    const table = section.split('What each party hears:')[1]?.split(/\n\n/)[1] ?? '';
    const rows: Row[] = [];
    for (const line of table.split('\n')) {
      const c = line.split('|').map((x) => x.trim());
      if (c.length < 5 || !/^[A-Z]/.test(c[1] ?? '')) continue;
      const from = /#(\d+)/.exec(c[2]!);
      const to = /#(\d+)/.exec(c[3]!);
      if (!from) continue;
      const row: Row = {
        parties: c[1]!.split(',').map((p) => p.trim()),
        from: Number(from[1]),
        toOther: /\bof\b|'/.test(c[3]!),
        hears: c[4]!,
        line,
      };
      if (to) row.to = Number(to[1]);
      rows.push(row);
    }
    out.set(step, rows);
  }
  return out;
}

function expected(row: Row, party: string, uuidOf: (label: string) => string): Hearing {
  const h = row.hears;
  if (h.startsWith('ringback')) return { kind: 'stream', stream: STREAMS.ringback! };
  if (h.startsWith('music')) return { kind: 'stream', stream: STREAMS.music! };
  if (h.startsWith('silence')) return { kind: 'silence' };
  if (h.startsWith('each other')) return { kind: 'peer', peer: uuidOf(row.parties.find((p) => p !== party)!) };
  return { kind: 'peer', peer: uuidOf(h.split(/[\s,]/)[0]!) };
}

run("the hearing helper reproduces every 'What each party hears' row of steps 10-18 from events alone", (t) => {
  const all = tables();
  t.true(all.size >= 9, `found the tables of ${all.size} steps`);
  let checked = 0;
  for (const [step, rows] of all) {
    const cap = loadCapture(step);
    const events = cap.events.filter((e) => e.name !== 'HEARTBEAT' && e.name !== 'RE_SCHEDULE');
    const uuidOf = (label: string): string => [...cap.labels].find(([, l]) => l === label)?.[0] ?? label;
    const at = (n: number): HearingTracker => new HearingTracker().feedAll(events.slice(0, n));
    for (const row of rows) {
      for (const party of row.parties) {
        const want = expected(row, party, uuidOf);
        const u = uuidOf(party);
        t.deepEqual(at(row.from).hears(u), want, `${step}: ${row.line} (at #${row.from})`);
        if (row.to !== undefined) {
          t.deepEqual(at(row.to - 1).hears(u), want, `${step}: ${row.line} (at #${row.to - 1})`);
          if (!row.toOther) t.notDeepEqual(at(row.to).hears(u), want, `${step}: ${row.line} (ends at #${row.to})`);
        }
        checked++;
      }
    }
  }
  t.log(`checked ${checked} party rows`);
});

run('capture surprises: only the first uuid_bridge leg gets CHANNEL_BRIDGE, yet both hear each other', (t) => {
  const cap = loadCapture('10-attended-completed');
  const uuidOf = (label: string): string => [...cap.labels].find(([, l]) => l === label)?.[0] ?? label;
  const bridges = cap.events.filter((e) => e.name === 'CHANNEL_BRIDGE');
  t.true(bridges.every((e) => e.headers['Unique-ID'] === e.headers['Bridge-A-Unique-ID']));
  const tr = new HearingTracker().feedAll(cap.events);
  t.deepEqual(tr.hears(uuidOf('A')), { kind: 'gone' });
});
