import type { SiteRow } from '../store/store.js';
import type { TicketContext } from '../store/json-columns.js';

/**
 * A ticket's context as the site allows it to be kept: the page URL never keeps its
 * fragment (sign-in flows put tokens there), and drops its query string too where the
 * site turned that off.
 */
export function withSitePolicy(context: TicketContext, site: SiteRow): TicketContext {
  if (!context.pageUrl) return context;
  const url = new URL(context.pageUrl);
  url.hash = '';
  if (!site.contextKeepsQuery) url.search = '';
  return { ...context, pageUrl: url.href };
}
