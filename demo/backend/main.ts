import { startDemo } from './start.js';

try {
  const demo = await startDemo({
    apiPort: Number(process.env.PORT ?? 8787),
    shopPort: Number(process.env.DEMO_PORT ?? 8788),
    host: process.env.HOST ?? '127.0.0.1',
    sampleHistory: process.env.CLOSELOOP_DEMO_SAMPLES !== '0',
  });
  const stop = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void demo.close().then(() => console.log('Demo stopped.'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`closeloop demo: ${(error as Error).message}`);
  process.exitCode = 1;
}
