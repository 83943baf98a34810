// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { usePortal } from './mount-widget.js';

describe('the portal', () => {
  const page = usePortal();
  const mountPortal = page.open;

  it('greets a first-time visitor with the empty state, not “no ticket matches”', async () => {
    const portal = mountPortal();
    expect(await portal.findByText('No tickets yet')).toBeTruthy();
    expect(portal.queryByText('No ticket matches.')).toBeNull();
    expect(portal.queryByRole('searchbox')).toBeNull();
  });

  it('says so when the search finds nothing, and shows everything again when it is cleared', async () => {
    const portal = mountPortal();
    fireEvent.click(await portal.findByRole('button', { name: 'New ticket' }));
    fireEvent.input(await portal.findByLabelText('Subject'), { target: { value: 'Invoice wrong' } });
    fireEvent.input(portal.getByLabelText('Message'), { target: { value: 'x' } });
    fireEvent.click(portal.getByRole('button', { name: 'Send' }));
    await portal.findByRole('heading', { name: 'Invoice wrong' });
    fireEvent.click(portal.getByRole('button', { name: 'Back' }));
    const search = await portal.findByRole('searchbox', { name: 'Search your tickets' });
    fireEvent.input(search, { target: { value: 'parcel' } });
    expect(await portal.findByText('No ticket matches.')).toBeTruthy();
    fireEvent.input(search, { target: { value: '' } });
    expect(await portal.findByText('Invoice wrong')).toBeTruthy();
    expect(portal.queryByText('No ticket matches.')).toBeNull();
  });
});

describe('a returning visitor', () => {
  const page = usePortal();

  it('sees the site’s own texts after a reload too, when the session is resumed rather than started', async () => {
    const t = page.server();
    const agent = await t.agent();
    await agent.api.agent.site.update.mutate({ texts: { en: { greeting: 'Welcome back to the shop!' } } });
    let portal = page.open();
    expect(await portal.findByText('Welcome back to the shop!')).toBeTruthy();
    fireEvent.click(await portal.findByRole('button', { name: 'New ticket' }));
    fireEvent.input(await portal.findByLabelText('Subject'), { target: { value: 'Still here' } });
    fireEvent.input(portal.getByLabelText('Message'), { target: { value: 'x' } });
    fireEvent.click(portal.getByRole('button', { name: 'Send' }));
    await portal.findByRole('heading', { name: 'Still here' });

    page.unmount();
    portal = page.open();
    // The portal opens where the customer was reading; the greeting is on the list.
    await portal.findByRole('heading', { name: 'Still here' });
    fireEvent.click(portal.getByRole('button', { name: 'Back' }));
    expect(await portal.findByText('Welcome back to the shop!')).toBeTruthy();
  });
});
