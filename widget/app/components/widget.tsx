import { useEffect, useRef } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { Launcher } from './launcher.js';
import { Panel } from './panel.js';

/** The floating widget: launcher and panel. Closing returns focus to the launcher. */
export function Widget({ c, position }: { c: Controller; position: 'bottom-right' | 'bottom-left' }) {
  const launcher = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(c.open.value);
  useEffect(() => {
    if (wasOpen.current && !c.open.value) launcher.current?.focus();
    wasOpen.current = c.open.value;
  }, [c.open.value]);
  // On a phone the panel is a full-screen sheet: the page behind it must not scroll.
  useEffect(() => {
    if (!c.open.value || !window.matchMedia?.('(max-width: 480px)').matches) return;
    const page = document.documentElement.style;
    const before = page.overflow;
    page.overflow = 'hidden';
    return () => {
      page.overflow = before;
    };
  }, [c.open.value]);

  return (
    <div class={`closeloop ${position}${c.open.value ? ' open' : ''}`}>
      {c.open.value && <Panel c={c} inline={false} onClose={() => c.closePanel()} />}
      <Launcher c={c} buttonRef={launcher} />
    </div>
  );
}

/** The full-page portal: the same views inline, no launcher. */
export function Portal({ c }: { c: Controller }) {
  return (
    <div class="closeloop portal">
      <Panel c={c} inline onClose={() => undefined} />
    </div>
  );
}
