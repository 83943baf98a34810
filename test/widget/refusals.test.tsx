// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { useTestServer, type TestServer } from '../helpers/test-server.js';
import { mountWidget, type Mounted } from './mount-widget.js';

describe('refusals in the customer’s language', () => {
  let t: TestServer;
  let w: Mounted | undefined;
  // No ticket may be created from this address: every send is refused with RATE_LIMITED.
  useTestServer((server) => (t = server), { rateLimits: { ticketCreates: { limit: 0, windowMs: 60_000 } } });
  afterEach(() => {
    w?.unmount();
    localStorage.clear();
  });

  it('says “too many requests” in Estonian, from the widget’s own texts, never the server’s English', async () => {
    w = mountWidget(t, { locale: 'et' });
    w.run('newTicket', { subject: 'Arve', message: 'Topelt makstud' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Saada' }));
    const alert = await w.ui.findByRole('alert', {}, { timeout: 5000 });
    expect(alert.textContent).toContain('Siit on praegu liiga palju päringuid');
    expect(alert.textContent).not.toMatch(/Too many|try again in a minute/);
    expect((w.ui.getByLabelText('Sõnum') as HTMLTextAreaElement).value).toBe('Topelt makstud');
  });

  it('and in Italian', async () => {
    w = mountWidget(t, { locale: 'it' });
    w.run('newTicket', { subject: 'Fattura', message: 'Pagato due volte' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Invia' }));
    expect((await w.ui.findByRole('alert', {}, { timeout: 5000 })).textContent).toContain('Troppe richieste');
  });
});
