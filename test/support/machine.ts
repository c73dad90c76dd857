// What the transfer machine's unit tests share: the inputs and actions they write most, and the drivers that feed a
// machine step by step (asserting each step) or set a state up (asserting nothing).
import type { ExecutionContext } from 'ava';
import {
  initialState,
  step,
  type Action,
  type Input,
  type MachineState,
  type Party,
  type Phase,
} from '../../workflows/transfer-machine.ts';

// Inputs, as the transfer workflow produces them from switch events, timers and activity results.
export const answered: Input = { type: 'target_answered' };
export const hangup = (party: Party, cause = 'NORMAL_CLEARING'): Input => ({ type: 'hangup', party, cause });
export const bridged = (a: Party, b: Party): Input => ({ type: 'bridged', a, b });

// Actions.
export const bridge = (a: Party, b: Party): Action => ({ do: 'bridge', a, b });
export const kill = (party: Party, cause: string): Action => ({ do: 'kill', party, cause });
export const restore = (...parties: Party[]): Action => ({ do: 'restore', parties });

/** One step: the input, and the phase and exact actions it must lead to (as an object or a tuple). */
export type Expect = { input: Input; phase: Phase; actions: Action[] } | [Input, Phase, Action[]];

/** Feeds the inputs one by one, asserting the phase and the exact actions after each; returns the last state. */
export function drive(t: ExecutionContext, start: MachineState, expectations: Expect[]): MachineState {
  let s = start;
  expectations.forEach((e, i) => {
    const [input, phase, actions] = Array.isArray(e) ? e : [e.input, e.phase, e.actions];
    const before = structuredClone(s);
    const r = step(s, input);
    t.deepEqual(s, before, `step ${i} (${input.type}) mutated its input state`);
    t.is(r.state.phase, phase, `step ${i} (${JSON.stringify(input)}): phase`);
    t.deepEqual(r.actions, actions, `step ${i} (${JSON.stringify(input)}): actions`);
    s = r.state;
  });
  return s;
}

/** Runs inputs without checking; for setting up a state. */
export function run(start: MachineState, inputs: Input[]): MachineState {
  return inputs.reduce((s, input) => step(s, input).state, start);
}

/** An attended transfer whose target answered and is bridged to the transferor. */
export const consulting = (): MachineState =>
  run(initialState('ringing', false), [answered, bridged('transferor', 'target')]);
