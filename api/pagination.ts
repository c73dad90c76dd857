// Kazoo's pagination for listings: `page_size` (default 50) and `start_key` (a previous page's `next_start_key`,
// opaque) in the query string; the envelope answers with `page_size` (the items in this page), `start_key` (as asked)
// and `next_start_key` (absent on the last page). `paginate=false` asks for everything: granted up to
// MAX_PAGE_SIZE items, and 416 beyond (Kazoo's answer to a listing too large to send unpaginated), so no request does
// unbounded work.
import type { Context } from 'hono';
import type { Page, PageRequest } from '../store/index.ts';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';

/** Kazoo's default page size (crossbar's pagination_page_size). */
export const DEFAULT_PAGE_SIZE = 50;
/** The most items one answer carries; a larger `page_size` is served as this (`page_size` in the envelope says so). */
export const MAX_PAGE_SIZE = 1000;

export interface PageQuery extends PageRequest {
  /** `paginate=false`: everything, or 416. */
  all: boolean;
}

export function pageQuery(c: Context<ApiEnv>): PageQuery {
  const paginate = c.req.query('paginate');
  if (paginate !== undefined && paginate !== 'true' && paginate !== 'false') {
    throw ApiError.field('paginate', 'enum', 'paginate must be true or false');
  }
  const sizeText = c.req.query('page_size');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeText !== undefined) {
    if (!/^\d{1,9}$/.test(sizeText) || Number(sizeText) < 1) {
      throw ApiError.validation({
        page_size: { minimum: { message: 'page_size must be a whole number, 1 or more', target: 1 } },
      });
    }
    size = Math.min(Number(sizeText), MAX_PAGE_SIZE);
  }
  const startKey = c.req.query('start_key');
  const query: PageQuery = { size, all: paginate === 'false' };
  if (query.all) query.size = MAX_PAGE_SIZE;
  if (startKey !== undefined && startKey !== '') query.startKey = startKey;
  return query;
}

/** The envelope's pagination keys for a page; 416 when `paginate=false` asked for more than one answer may carry. */
export function pageEnvelope<T>(query: PageQuery, page: Page<T>): PageKeys {
  if (query.all && page.nextStartKey) {
    throw new ApiError(416, 'range not satisfiable', {
      message: `more than ${MAX_PAGE_SIZE} items: ask for them in pages (page_size, start_key)`,
    });
  }
  const keys: PageKeys = { page_size: page.items.length };
  if (query.startKey !== undefined) keys.start_key = query.startKey;
  if (page.nextStartKey !== undefined) keys.next_start_key = page.nextStartKey;
  return keys;
}

export interface PageKeys {
  page_size: number;
  start_key?: string;
  next_start_key?: string;
}
