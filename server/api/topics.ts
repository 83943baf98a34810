import { invalid } from '../lifecycle/errors.js';
import type { SiteRow } from '../store/store.js';

/** A topic id must name one of the site's topics (null and absent: none). */
export function checkTopic(site: SiteRow, topicId: string | null | undefined) {
  if (topicId == null) return;
  if (!site.topics.some((t) => t.id === topicId)) throw invalid('topicId', 'topicId names no topic of this site');
}
