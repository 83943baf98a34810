import type { Controller } from '../controller.js';

export function Launcher({ c, buttonRef }: { c: Controller; buttonRef: { current: HTMLButtonElement | null } }) {
  const t = c.t.value;
  const count = c.unread.value;
  const label = c.open.value ? t('closeSupport') : t('openSupport');
  return (
    <button
      ref={buttonRef}
      type="button"
      class="launcher"
      aria-label={count > 0 ? `${label} (${t('unreadReplies', { count })})` : label}
      aria-expanded={c.open.value}
      aria-haspopup="dialog"
      onClick={() => (c.open.value ? c.closePanel() : c.openPanel())}
    >
      <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
        {c.open.value ? (
          <path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6L6 18" data-icon="close" />
        ) : (
          <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" data-icon="chat" />
        )}
      </svg>
      {count > 0 && (
        <span class="launcher-badge" aria-hidden="true">
          {count > 9 ? '9+' : count}
        </span>
      )}
    </button>
  );
}
