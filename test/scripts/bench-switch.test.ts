// The benchmark's switch and phones run in a process of their own (bench/switch-process.ts), not in the engine's: the
// simulator's listener is not this process's, a stall of this process does not stretch the phones' key presses, the
// events' times are on the clock the engine's journal uses, and the report gives the switch process's CPU apart.
import fs from 'node:fs';
import test from 'ava';
import { cpuLine } from '../../bench/machine.ts';
import { startSwitchProcess, type SwitchProcess } from '../../bench/switch-process.ts';
import { longestPause } from '../../bench/calls.ts';
import { placeCall } from '../support/engine.ts';

/** The inode of the socket listening on `port` (127.0.0.1), from /proc/net/tcp. */
function listenerInode(port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local address, state 0A = LISTEN, inode is the tenth field
    if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') return f[9];
  }
  return undefined;
}

/** Whether process `pid` holds the socket with this inode. */
function holds(pid: number | 'self', inode: string): boolean {
  const dir = `/proc/${pid}/fd`;
  return fs.readdirSync(dir).some((fd) => {
    try {
      return fs.readlinkSync(`${dir}/${fd}`) === `socket:[${inode}]`;
    } catch {
      return false;
    }
  });
}

let sp: SwitchProcess;
test.before(async () => {
  sp = await startSwitchProcess();
});
test.after.always(async () => {
  await sp?.phones.hangUpLegs().catch(() => undefined);
  await sp?.sw.close();
});

test.serial("the simulator listens in the switch's process, not in the engine's", (t) => {
  t.not(sp.pid, process.pid);
  const inode = listenerInode(sp.sw.port);
  t.truthy(inode, `something listens on ${sp.sw.port}`);
  t.true(holds(sp.pid, inode!), 'the switch process holds the listener');
  t.false(holds('self', inode!), 'the engine process does not');
});

test.serial(
  'a stall of the engine process does not split a code the phones press; event times are on its clock',
  async (t) => {
    const line = { phones: sp.phones, demo: { accountId: 'acct' }, config: { ACCOUNT_ID_VARIABLE: 'account_id' } };
    const { alice } = await placeCall(line);
    const from = sp.phones.events.length;
    const before = Date.now();
    const pressing = sp.phones.press(alice.uuid, '*22600', 60);
    // This process busy for a second while the phones press six keys 60 ms apart: in one process their timers would
    // wait for it, and the switch would see a pause of about a second inside the code.
    await new Promise((r) => setTimeout(r, 100));
    for (const until = Date.now() + 1000; Date.now() < until;);
    await pressing;
    const presses = await waitForPresses(sp, alice.uuid, from, 6);
    const after = Date.now();
    const pause = longestPause(presses);
    t.truthy(pause);
    t.true(pause!.ms < 500, `longest pause between two presses on the switch's clock: ${pause!.ms} ms`);
    for (const ev of presses) {
      const at = sp.phones.at(ev);
      t.true(at >= before && at <= after, `a press received at ${at}, between ${before} and ${after} of this clock`);
    }
  },
);

test('the CPU line gives the engine process, the switch process and Temporal apart', (t) => {
  const text = cpuLine({ wallS: 10, selfS: 2, switchS: 1, temporalS: 3, machineS: 7, othersS: 1, stealS: 0.6 }, 10);
  t.regex(text, /engine process \([^)]*\) 2\.0 s \(200 ms\/call\)/);
  t.regex(text, /the hypervisor's steal 1\.0 s; the steal alone, as the kernel counts it, 0\.6 s/);
  t.regex(text, /switch process \(simulator, phones\) 1\.0 s \(100 ms\/call\)/);
  t.regex(text, /Temporal server 3\.0 s \(300 ms\/call\)/);
});

async function waitForPresses(s: SwitchProcess, leg: string, from: number, n: number) {
  const mine = () => s.phones.events.slice(from).filter((ev) => ev.name === 'DTMF' && ev.headers['Unique-ID'] === leg);
  for (const until = Date.now() + 5000; mine().length < n && Date.now() < until;)
    await new Promise((r) => setTimeout(r, 20));
  return mine();
}
