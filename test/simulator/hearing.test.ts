// The hearing helper against the captures' own "What each party hears" tables (README sections 10, 12 and 13): feed
// it the events of each real FreeSWITCH transcript and check every row at its start and just before its end.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { HearingTracker, voicesIn, type Hearing } from '../support/hearing.ts';
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
    const step = /\(`((?:1\d|2\d[a-z]\d?)-[a-z-]+)\.\*`\)/.exec(section.split('\n')[0] ?? '')?.[1];
    if (!step) continue;
    const table = /^\| party \| from \| to \| hears \|\n(?:\|.*\n?)*/m.exec(section)?.[0] ?? '';
    if (!table) continue;
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

/**
 * What a row says the party hears: a stream, silence, or whose voices (and, where the row says so, through a
 * conference or a bridge). Returns undefined when the party hears that, else what was expected.
 */
function mismatch(row: Row, party: string, uuidOf: (label: string) => string, got: Hearing): string | undefined {
  const h = row.hears;
  const stream = (path: string): string | undefined =>
    got.kind === 'stream' && got.stream === path ? undefined : `stream ${path}`;
  if (h.startsWith('ringback')) return stream(STREAMS.ringback!);
  if (h.startsWith('music')) return stream(STREAMS.music!);
  const hold = /^the hold music `([^`]+)`/.exec(h);
  if (hold) return stream(hold[1]!);
  if (h.startsWith('silence')) return got.kind === 'silence' ? undefined : 'silence';
  const others = row.parties.filter((p) => p !== party);
  let voices: string[];
  if (h.startsWith('each other') || h.startsWith('the other two')) voices = others;
  else voices = [h.split(/[\s,]/)[0]!];
  const want = voices.map(uuidOf).sort();
  const kind = /conference/.test(h) ? 'conference' : /bridged/.test(h) ? 'peer' : undefined;
  const ok = JSON.stringify(voicesIn(got).sort()) === JSON.stringify(want) && (!kind || got.kind === kind);
  return ok ? undefined : `${kind ?? 'voices'} of ${voices.join(', ')}`;
}

run("the hearing helper reproduces every 'What each party hears' row of steps 10-21 from events alone", (t) => {
  const all = tables();
  t.true(all.size >= 14, `found the tables of ${all.size} steps`);
  let checked = 0;
  for (const [step, rows] of all) {
    const cap = loadCapture(step);
    const events = cap.events.filter((e) => e.name !== 'HEARTBEAT' && e.name !== 'RE_SCHEDULE');
    const uuidOf = (label: string): string => [...cap.labels].find(([, l]) => l === label)?.[0] ?? label;
    const at = (n: number): HearingTracker => new HearingTracker().feedAll(events.slice(0, n));
    for (const row of rows) {
      for (const party of row.parties) {
        const u = uuidOf(party);
        const check = (n: number): string | undefined => mismatch(row, party, uuidOf, at(n).hears(u));
        const say = (n: number, m: string | undefined): string =>
          `${step}: ${row.line} (${party} at #${n}: expected ${m}, heard ${JSON.stringify(at(n).hears(u))})`;
        t.is(check(row.from), undefined, say(row.from, check(row.from)));
        if (row.to !== undefined) {
          t.is(check(row.to - 1), undefined, say(row.to - 1, check(row.to - 1)));
          if (!row.toOther) t.not(check(row.to), undefined, `${step}: ${row.line} (${party} ends at #${row.to})`);
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
