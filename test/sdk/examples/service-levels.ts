import { createAgentClient } from 'closeloop/sdk';

const closeloop = createAgentClient({ url: process.env.CLOSELOOP_URL!, secretKey: process.env.CLOSELOOP_SECRET_KEY! });

// Topics customers choose from, and reply targets counted in office hours.
export async function setUpServiceLevels() {
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
  await closeloop.site.update({
    topics: [
      { id: 'orders', labels: { en: 'Orders', et: 'Tellimused', it: 'Ordini' } },
      { id: 'billing', labels: { en: 'Billing', et: 'Arved', it: 'Fatture' } },
    ],
    sla: {
      targets: [
        { priority: 'urgent', firstReplyMinutes: 30, nextReplyMinutes: 60, resolutionMinutes: 480 },
        { priority: 'normal', firstReplyMinutes: 240, nextReplyMinutes: 480, resolutionMinutes: 2880 },
      ],
      schedule: { timeZone: 'Europe/Tallinn', weekly: weekdays.map((day) => ({ day, from: '09:00', to: '17:00' })), holidays: ['2026-12-24'] },
    },
  });
}

// Monday's questions: how fast, how often confirmed, and day by day.
export async function lastSevenDays(now = new Date()) {
  const from = new Date(now.getTime() - 7 * 86_400_000);
  const { totals, groups = [] } = await closeloop.metrics.summary({ from, to: now, groupBy: 'day' });
  return {
    firstReplyMedianMs: totals.firstReplyMs.p50,
    confirmed: totals.confirmationRate,
    perDay: groups.map((day) => ({ day: day.key, created: day.created, resolved: day.resolved })),
  };
}

// "To solve": the next ticket for this agent, assigned to them at once (null: nothing waiting).
export async function takeNext(agentId: string) {
  return closeloop.as(agentId).tickets.next();
}
