// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/help" }
/**
 * The portal from any device: a customer on a new browser asks for a link by
 * email, follows it, and lands back on the portal signed in to every ticket of
 * that address, including the one opened anonymously elsewhere.
 */
import { fireEvent } from '@testing-library/preact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '../../demo/backend/smtp-catcher.js';
import { backendFetch } from '../helpers/backend-fetch.js';
import { usePortal } from './mount-widget.js';

let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await startSmtpCatcher();
});
afterAll(() => smtp.close());

describe('the portal on a new device', () => {
  const page = usePortal({
    // Read when the server starts, after the catcher has its port.
    mail: { get smtpUrl() { return smtp.url; }, from: 'support@shop.test', publicUrl: 'http://support.test', intervalMs: 0 },
  });
  const mountPortal = page.open;

  it('asks for an address, says the same whatever it is, and signs in with the link it sends', async () => {
    const t = page.server();
    const elsewhere = await t.customer();
    await elsewhere.api.tickets.create.mutate({ subject: 'Lost parcel', message: 'Where is it?', email: 'mari@example.test' });

    let portal = mountPortal();
    fireEvent.input(await portal.findByLabelText('Your email'), { target: { value: 'not an address' } });
    fireEvent.click(portal.getByRole('button', { name: 'Email me a link' }));
    expect(await portal.findByText('Please enter a valid email address.')).toBeTruthy();
    fireEvent.input(portal.getByLabelText('Your email'), { target: { value: 'Mari@Example.test' } });
    fireEvent.click(portal.getByRole('button', { name: 'Email me a link' }));
    expect(await portal.findByText('If Mari@Example.test can get our emails, a sign-in link is on its way. It works for 30 minutes.')).toBeTruthy();

    await t.server.deliverEmails();
    const mail = smtp.mails.find((m) => m.rcptTo.includes('mari@example.test') && /sign-in/.test(m.parsed.subject ?? ''))!;
    const link = /http:\/\/support\.test\/e\/[0-9a-f]+/.exec(mail.parsed.text ?? '')![0].replace('http://support.test', t.url);
    // As the customer's mail app opens it: another browser, so no page Origin.
    const landed = await backendFetch(link, { method: 'POST' });
    const back = new URL(landed.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('http://shop.test/help');

    page.unmount();
    window.location.hash = back.hash;
    portal = mountPortal();
    expect(await portal.findByText('Lost parcel')).toBeTruthy();
    expect(window.location.hash).toBe('');
    // Signed in by its address, the portal no longer offers to sign in by address.
    expect(portal.queryByText('Opened a ticket elsewhere?')).toBeNull();
  });

  it('says plainly when the link was already used', async () => {
    window.location.hash = `closeloop_code=${'ab'.repeat(24)}`;
    const portal = mountPortal();
    expect(await portal.findByText('This sign-in link was already used or has expired. Ask for a new one below.')).toBeTruthy();
  });
});
