// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { CloseloopError, createAgentClient, createCustomerClient } from '../../sdk/index.js';

describe('the agent client in a browser', () => {
  it('refuses to start, so a secret key never ships to one', () => {
    expect(typeof (globalThis as { window?: { document?: unknown } }).window?.document).toBe('object');
    expect(() => createAgentClient({ url: 'http://127.0.0.1:1', secretKey: 'sk_live_secret' })).toThrow(CloseloopError);
    expect(() => createAgentClient({ url: 'http://127.0.0.1:1', secretKey: 'sk_live_secret' })).toThrow(/never ship to a browser/);
  });

  it('lets the customer client start there', () => {
    expect(() => createCustomerClient({ url: 'http://127.0.0.1:1', siteKey: 'pk_x' })).not.toThrow();
  });
});
