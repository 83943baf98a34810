import { describe, expect, it } from 'vitest';
import { translator } from '../../widget/app/i18n.js';
import { en } from '../../widget/app/locales/en.js';
import { et } from '../../widget/app/locales/et.js';
import { it as italian } from '../../widget/app/locales/it.js';

describe('texts with counts', () => {
  it('follow each language’s plural rules', () => {
    const cases = [
      [en, 'en', ['1 unread reply', '2 unread replies', '0 unread replies']],
      [et, 'et', ['1 lugemata vastus', '2 lugemata vastust', '0 lugemata vastust']],
      [italian, 'it', ['1 risposta non letta', '2 risposte non lette', '0 risposte non lette']],
    ] as const;
    for (const [messages, locale, [one, two, zero]] of cases) {
      const t = translator(messages, {}, locale);
      expect([1, 2, 0].map((count) => t('unreadReplies', { count }))).toEqual([one, two, zero]);
    }
  });

  it('leaves a text without plural forms as it is', () => {
    expect(translator(en, {}, 'en')('statusChanged', { status: 'Open' })).toBe('Status changed to Open');
  });
});
