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
