// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { PNG } from '../helpers/sample-files.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

const file = (bytes: Uint8Array, name: string, type: string) => new File([bytes as Uint8Array<ArrayBuffer>], name, { type });

describe('files in the widget', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('sends a screenshot picked with the attach button along with the new ticket, and shows it in the thread', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'With a picture', message: 'See the picture' });
    const input = (await w.ui.findByLabelText(/Attach files/)) as HTMLInputElement;
    fireEvent.change(input, { target: { files: [file(PNG, 'screen.png', 'image/png')] } });
    expect(await w.ui.findByText('screen.png')).toBeTruthy();
    const send = w.ui.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    await waitFor(() => expect(send.disabled).toBe(false));
    fireEvent.click(send);
    await w.ui.findByRole('heading', { name: 'With a picture' });
    const image = (await w.ui.findByRole('img', { name: 'screen.png' })) as HTMLImageElement;
    expect(image.src).toMatch(new RegExp(`^${t.url}/attachments/att_`));
    const served = await fetch(image.src);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('says in the customer’s words why a file was refused, keeps the text, and sends once it is removed', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'A program', message: 'Keep this text' });
    const input = (await w.ui.findByLabelText(/Attach files/)) as HTMLInputElement;
    fireEvent.change(input, { target: { files: [file(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(120).fill(0)]), 'tool.png', 'image/png')] } });
    expect(await w.ui.findByText(/This file cannot be sent here/)).toBeTruthy();
    const send = w.ui.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    expect((w.ui.getByLabelText(/Message/) as HTMLTextAreaElement).value).toBe('Keep this text');
    fireEvent.click(w.ui.getByRole('button', { name: 'Remove tool.png' }));
    await waitFor(() => expect(send.disabled).toBe(false));
    fireEvent.click(send);
    expect(await w.ui.findByRole('heading', { name: 'A program' })).toBeTruthy();
  });

  it('says a file is too large before sending any of it, and offers no pointless retry', async () => {
    const ada = await t.agent();
    await ada.api.agent.site.update.mutate({ attachments: { maxBytes: 1024 } });
    try {
      w = mountWidget(t);
      w.run('newTicket', { subject: 'Big', message: 'A big one' });
      const input = (await w.ui.findByLabelText(/Attach files/)) as HTMLInputElement;
      fireEvent.change(input, { target: { files: [file(new Uint8Array(3000), 'huge.png', 'image/png')] } });
      expect(await w.ui.findByText(/This file is too large to send/)).toBeTruthy();
      expect(w.ui.queryByRole('button', { name: 'Try again' })).toBeNull();
    } finally {
      await ada.api.agent.site.update.mutate({ attachments: { maxBytes: 10 * 1024 * 1024 } });
    }
  });
});
