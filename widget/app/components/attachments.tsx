import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';

interface Pending {
  key: number;
  file: File;
  sent: number;
  id?: string;
  error?: string;
}

let next = 0;

/**
 * Files a customer adds to a message (button, drop or paste), each uploaded at once with
 * its progress shown. The message can go once every file is up; a failed one can be
 * retried or removed, and the text stays as it was.
 */
export function useAttachments(c: Controller) {
  const [files, setFiles] = useState<Pending[]>([]);
  const update = (key: number, patch: Partial<Pending>) => setFiles((list) => list.map((f) => (f.key === key ? { ...f, ...patch } : f)));
  const start = (p: Pending) =>
    c.upload(p.file, (sent) => update(p.key, { sent })).then(
      (done) => update(p.key, { id: done.id }),
      (error: string) => update(p.key, { error }),
    );
  const add = (list: FileList | null | undefined) => {
    for (const file of list ?? []) {
      const p = { key: ++next, file, sent: 0 };
      setFiles((now) => [...now, p]);
      void start(p);
    }
  };
  return {
    files,
    add,
    remove: (key: number) => setFiles((list) => list.filter((f) => f.key !== key)),
    retry: (p: Pending) => {
      update(p.key, { error: undefined, sent: 0 });
      void start(p);
    },
    clear: () => setFiles([]),
    /** The ids to send, or null while a file is still on its way or failed. */
    ids: () => (files.every((f) => f.id) ? files.map((f) => f.id!) : null),
    /** Drop and paste anywhere on the form. */
    handlers: {
      onDragOver: (e: DragEvent) => e.preventDefault(),
      onDrop: (e: DragEvent) => {
        e.preventDefault();
        add(e.dataTransfer?.files);
      },
      onPaste: (e: ClipboardEvent) => {
        if (!e.clipboardData?.files.length) return;
        e.preventDefault();
        add(e.clipboardData.files);
      },
    },
  };
}

export type Attachments = ReturnType<typeof useAttachments>;

/** The attach button and the files added so far, each with its progress, and a way to remove it. */
export function AttachmentTray({ c, a }: { c: Controller; a: Attachments }) {
  const t = c.t.value;
  return (
    <div class="tray">
      <label class="attach" title={t('attach')}>
        <input type="file" multiple class="sr-only" onChange={(e) => (a.add(e.currentTarget.files), (e.currentTarget.value = ''))} />
        <span aria-hidden="true">+</span> {t('attach')}
      </label>
      {a.files.length > 0 && (
        <ul class="files" aria-live="polite">
          {a.files.map((f) => (
            <li key={f.key} class={f.error ? 'file failed' : 'file'}>
              <span class="file-name" dir="auto">
                {f.file.name}
              </span>
              {f.error ? (
                <span role="alert">
                  {f.error}{' '}
                  {/* Only a failed transfer is worth another try; a refused file would be refused again. */}
                  {f.error === t('attachFailed') && (
                    <button type="button" class="link" onClick={() => a.retry(f)}>
                      {t('retry')}
                    </button>
                  )}
                </span>
              ) : (
                !f.id && <progress max={f.file.size} value={f.sent} aria-label={f.file.name} />
              )}
              <button type="button" class="remove" aria-label={t('removeFile', { name: f.file.name })} onClick={() => a.remove(f.key)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
