import type { Messages } from '../locales/en.js';
import type { Translate } from '../i18n.js';

const LABEL: Record<string, keyof Messages> = {
  new: 'statusNew',
  open: 'statusOpen',
  answered: 'statusAnswered',
  resolved: 'statusResolved',
  closed: 'statusClosed',
};

export function StatusBadge({ status, t }: { status: string; t: Translate }) {
  return <span class={`badge badge-${status}`}>{t(LABEL[status] ?? 'statusOpen')}</span>;
}
