import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';

describe('npm start', () => {
  it('checks its ports before building, and says what to change when one is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = spawnSync(process.execPath, ['scripts/start-demo.js'], {
        env: { ...process.env, PORT: String(port), DEMO_PORT: '0', HOST: '127.0.0.1' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 (PORT) is already in use`);
      expect(run.stderr).toMatch(new RegExp(`PORT=${port + 10} DEMO_PORT=\\d+ npm start`));
      expect(run.stdout).not.toContain('Building');
    } finally {
      taken.close();
    }
  });
});
