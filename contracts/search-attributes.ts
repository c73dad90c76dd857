// Custom search attributes, so an SRE can find calls and transfers in the Temporal UI
// (e.g. `HandoffCallState="in_transfer" AND HandoffNode="fs1"`). No caller numbers: search attributes are not encrypted.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ACCOUNT_ID = defineSearchAttributeKey('HandoffAccountId', SearchAttributeType.KEYWORD);
export const CALL_STATE = defineSearchAttributeKey('HandoffCallState', SearchAttributeType.KEYWORD);
export const TRANSFER_STATE = defineSearchAttributeKey('HandoffTransferState', SearchAttributeType.KEYWORD);
export const NODE = defineSearchAttributeKey('HandoffNode', SearchAttributeType.KEYWORD);
/** How a transfer ended (transfer-machine.ts outcomes), set when it ends: `npm run ctl -- transfers --outcome O`, stats. */
export const TRANSFER_OUTCOME = defineSearchAttributeKey('HandoffTransferOutcome', SearchAttributeType.KEYWORD);

/** Name → type, as the dev server's `--search-attribute NAME=Type` flag wants them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  HandoffAccountId: 'Keyword',
  HandoffCallState: 'Keyword',
  HandoffTransferState: 'Keyword',
  HandoffNode: 'Keyword',
  HandoffTransferOutcome: 'Keyword',
};
