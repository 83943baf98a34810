import { describe, expect, it } from 'vitest';
import { addBusinessMs, businessMs, nextOpen, type Schedule } from '../../../server/analytics/business-hours.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Tallinn: UTC+2 in winter, UTC+3 in summer (clocks go forward on 29 March 2026, back on 25 October). */
const office: Schedule = {
  timeZone: 'Europe/Tallinn',
  weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day: day as Schedule['weekly'][number]['day'], from: '09:00', to: '17:00' })),
  holidays: ['2026-12-24'],
};

describe('business hours', () => {
  it('count nothing over a weekend: Friday 16:00 to Monday 10:00 is two hours', () => {
    expect(businessMs(office, at('2026-01-09T16:00:00+02:00'), at('2026-01-12T10:00:00+02:00'))).toBe(2 * HOUR);
  });

  it('skip a holiday: Wednesday 16:00 to Friday 10:00 around Christmas Eve is two hours', () => {
    expect(businessMs(office, at('2026-12-23T16:00:00+02:00'), at('2026-12-25T10:00:00+02:00'))).toBe(2 * HOUR);
  });

  it('follow the zone across a clock change: the opening hours stay 09:00–17:00 local', () => {
    // Friday 27 March 16:00 (UTC+2) to Monday 30 March 10:00 (UTC+3): one hour each side.
    expect(businessMs(office, at('2026-03-27T16:00:00+02:00'), at('2026-03-30T10:00:00+03:00'))).toBe(2 * HOUR);
    const always: Schedule = { timeZone: 'Europe/Tallinn', weekly: [{ day: 'sun', from: '00:00', to: '24:00' }], holidays: [] };
    expect(businessMs(always, at('2026-03-28T00:00:00Z'), at('2026-03-31T00:00:00Z'))).toBe(23 * HOUR);
    expect(businessMs(always, at('2026-10-24T00:00:00Z'), at('2026-10-27T00:00:00Z'))).toBe(25 * HOUR);
  });

  it('find the moment a target falls due, jumping the weekend', () => {
    expect(addBusinessMs(office, at('2026-01-09T16:30:00+02:00'), HOUR)).toBe(at('2026-01-12T09:30:00+02:00'));
    expect(addBusinessMs(office, at('2026-01-10T12:00:00+02:00'), 0)).toBe(at('2026-01-12T09:00:00+02:00'));
  });

  it('say when support is back, or now while it is open', () => {
    expect(nextOpen(office, at('2026-01-10T12:00:00+02:00'))).toBe(at('2026-01-12T09:00:00+02:00'));
    expect(nextOpen(office, at('2026-01-12T12:00:00+02:00'))).toBe(at('2026-01-12T12:00:00+02:00'));
  });

  it('count every hour with no schedule', () => {
    expect(businessMs(null, 0, 5 * HOUR)).toBe(5 * HOUR);
    expect(addBusinessMs(null, 10, HOUR)).toBe(10 + HOUR);
  });
});
