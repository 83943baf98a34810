/**
 * Stands in for sdk/attachments.ts in the widget's bundle (scripts/build-widget.js points
 * the SDK's import here): the upload code is a file of its own, widget-attach.js, loaded
 * the first time a customer attaches something, so the widget costs no more until then.
 */
import type { uploadAttachment as Upload } from '../../sdk/attachments.js';
import type { Handoff } from '../shared/handoff.js';

type Closeloop = { _l?: Handoff; _a?: { uploadAttachment: typeof Upload } };

let loading: Promise<typeof Upload> | null = null;

function load(): Promise<typeof Upload> {
  const w = window as unknown as { Closeloop?: Closeloop };
  return (loading ??= new Promise<typeof Upload>((resolve, reject) => {
    const script = document.createElement('script');
    const config = w.Closeloop?._l?.config;
    script.src = `${config?.assetBase ?? ''}widget-attach.js`;
    if (config?.nonce) script.nonce = config.nonce;
    script.onload = () => (w.Closeloop?._a ? resolve(w.Closeloop._a.uploadAttachment) : reject(new Error('widget-attach.js did not load')));
    script.onerror = () => {
      loading = null;
      reject(new Error('widget-attach.js could not be loaded'));
    };
    document.head.append(script);
  }));
}

export const uploadAttachment: typeof Upload = async (...args) => (await load())(...args);
