/** Waits for a condition that events make true: checked whenever `poke` is called, bounded, never a fixed sleep. */
export function waiter() {
  const waiting: (() => void)[] = [];
  return {
    poke: () => waiting.splice(0).forEach((wake) => wake()),
    async until(condition: () => boolean, what: string, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!condition()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${ms} ms for ${what}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}
