// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

describe('topics and the reply promise in the widget', () => {
  let t: TestServer;
  let w: Mounted;
  let ada: Awaited<ReturnType<TestServer['agent']>>;
  useWidgetServer((server) => (t = server), () => w);
  beforeAll(async () => {
    ada = await t.agent();
    await ada.api.agent.site.update.mutate({
      topics: [
        { id: 'orders', labels: { en: 'Orders', et: 'Tellimused' } },
        { id: 'billing', labels: { en: 'Billing', et: 'Arved' } },
      ],
      sla: { targets: [{ priority: 'normal', firstReplyMinutes: 120 }] },
    });
  });

  it('offers the site’s topics in the new-ticket form and sends the one chosen', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Charged twice', message: 'Two payments for one order' });
    const topic = (await w.ui.findByLabelText('Topic (optional)')) as HTMLSelectElement;
    expect([...topic.options].map((o) => o.text)).toEqual(['—', 'Orders', 'Billing']);
    fireEvent.change(topic, { target: { value: 'billing' } });
    fireEvent.click(w.ui.getByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Charged twice' });
    const { items } = await ada.api.agent.tickets.list.query({ topicId: 'billing' });
    expect(items.map((i) => i.subject)).toEqual(['Charged twice']);
  });

  it('names the topics in the customer’s language, falling back to English', async () => {
    await ada.api.agent.site.update.mutate({ topics: [{ id: 'orders', labels: { en: 'Orders', et: 'Tellimused' } }, { id: 'returns', labels: { en: 'Returns' } }] });
    w = mountWidget(t, { locale: 'et' });
    w.run('newTicket', {});
    const topic = (await w.ui.findByLabelText('Teema (valikuline)')) as HTMLSelectElement;
    expect([...topic.options].map((o) => o.text)).toEqual(['—', 'Tellimused', 'Returns']);
  });

  it('says how soon support usually replies, from the first-reply target', async () => {
    w = mountWidget(t);
    w.run('open');
    expect(await w.ui.findByText('We usually reply in 2 hours.')).toBeTruthy();
  });

  it('says when support is back outside business hours, and lets the site’s own words win', async () => {
    // The test clock stands at Monday 09:00 UTC; support opens at 10:00.
    await ada.api.agent.site.update.mutate({
      sla: { targets: [{ priority: 'normal', firstReplyMinutes: 120 }], schedule: { timeZone: 'UTC', weekly: [{ day: 'mon', from: '10:00', to: '17:00' }], holidays: [] } },
    });
    w = mountWidget(t);
    w.run('open');
    expect(await w.ui.findByText('We are away right now. Back: 10:00 AM.')).toBeTruthy();
    w.unmount();
    await ada.api.agent.site.update.mutate({ texts: { en: { responseTime: 'Phones open at ten.' } } });
    w = mountWidget(t);
    w.run('open');
    await waitFor(() => expect(w.ui.getByText('Phones open at ten.')).toBeTruthy());
    expect(w.ui.queryByText(/We are away/)).toBeNull();
  });
});
