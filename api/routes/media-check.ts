// A media reference in a request: a stream URL (syntax already checked by the schema), or a media ID the account may
// play (its own or an ancestor's). Checked at the edge so the client learns which field is wrong.
import type { Store } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { isStreamUrl } from '../../contracts/grammar.ts';

export async function checkMediaRef(store: Store, accountId: string, field: string, value: string): Promise<void> {
  if (isStreamUrl(value)) return;
  if (!(await store.findMediaForAccount(accountId, value))) {
    throw ApiError.field(field, 'not_found', `no media ${value} in this account or its ancestors`);
  }
}
