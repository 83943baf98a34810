import { describe, expect, it } from 'vitest';
import { dayLabel, messageTime } from '../../widget/app/format.js';

const NOW = Date.parse('2026-03-12T15:30:00Z');
const UTC = 'UTC';

describe('times as people write them', () => {
  it('shows only the time for today', () => {
    expect(messageTime('2026-03-12T14:05:00Z', NOW, 'en', UTC)).toBe('2:05 PM');
    expect(messageTime('2026-03-12T14:05:00Z', NOW, 'et', UTC)).toBe('14:05');
  });

  it('says “Yesterday” in the reader’s language', () => {
    expect(messageTime('2026-03-11T14:05:00Z', NOW, 'en', UTC)).toBe('Yesterday 2:05 PM');
    expect(messageTime('2026-03-11T14:05:00Z', NOW, 'et', UTC)).toBe('Eile 14:05');
    expect(messageTime('2026-03-11T14:05:00Z', NOW, 'it', UTC)).toBe('Ieri 14:05');
  });

  it('leaves the year out within the current year, and keeps it for earlier years', () => {
    expect(messageTime('2026-02-03T09:00:00Z', NOW, 'en', UTC)).toBe('Feb 3 9:00 AM');
    expect(dayLabel('2025-12-30T09:00:00Z', NOW, 'en', UTC)).toBe('Dec 30, 2025');
    expect(dayLabel('2026-03-12T00:10:00Z', NOW, 'en', UTC)).toBe('Today');
  });

  it('counts days in the reader’s time zone', () => {
    // 23:30 UTC on the 11th is already the 12th in Tallinn.
    expect(dayLabel('2026-03-11T23:30:00Z', NOW, 'en', 'Europe/Tallinn')).toBe('Today');
    expect(dayLabel('2026-03-11T23:30:00Z', NOW, 'en', UTC)).toBe('Yesterday');
  });
});
