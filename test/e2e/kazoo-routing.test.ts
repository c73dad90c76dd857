// Coexistence with a Kazoo cluster: transfer targets go through Kazoo's routing, so that the account's call
// restrictions and limits apply. With Kazoo's dial template (`loopback/{target}/context_2`: the loopback's far half
// enters the context a Kazoo media server hands to ecallmgr's routing), the leg that enters it must carry what Kazoo's
// routing reads of a call (ecallmgr_fs_authz, Konami's own transfer originate): the account, the authorizing ID and
// type, Channel-Authorized, the realm. This switch has no context_2 (a Kazoo media server's asks ecallmgr), so the
// target is refused and the transferor gets the transferee back, as when Kazoo's routing refuses a restricted number.
import anyTest from 'ava';
import { placeCall, waitFor, useEngine } from '../support/engine.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { requestTransferUpdate } from '../../contracts/messages.ts';
import { transferResult } from '../support/scenario.ts';

const test = useEngine(anyTest, { TRANSFER_CONTEXT: 'context_2' }, { scenario: 'kazoo-routing' });

/** What Kazoo's routing reads of a call, as a Kazoo cluster sets them on a device's leg. */
const KAZOO_CCVS = {
  'ecallmgr_Authorizing-ID': '63fbb9ac78e11f3ccb387928a423798a',
  'ecallmgr_Authorizing-Type': 'device',
  'ecallmgr_Channel-Authorized': 'true',
  ecallmgr_Realm: 'account.realm.com',
};

test("the target leg enters Kazoo's routing context carrying every variable Kazoo's routing needs", async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e, { aliceVars: KAZOO_CCVS });
  const accepted = await e.client.workflow
    .getHandle(callWorkflowId(alice.uuid))
    .executeUpdate(requestTransferUpdate, { args: [{ target: '2600' }] });
  t.is(accepted.target, '2600');
  // The far half of the target's loopback is the leg Kazoo routes: it must carry the transferor's account variables.
  const far = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_CREATE' &&
      ev.headers['Channel-Name'] === 'loopback/2600-b' &&
      ev.headers[`variable_${e.config.ACCOUNT_ID_VARIABLE}`] === e.demo.accountId,
  );
  for (const [name, value] of Object.entries(KAZOO_CCVS)) t.is(far.headers[`variable_${name}`], value, name);
  // Refused by the routing (here: no such context): the transferor is given the transferee back.
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'target_failed');
});
