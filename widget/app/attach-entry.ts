/** The widget-attach.js bundle: the SDK's upload code, handed to the app through window.Closeloop._a. */
import { uploadAttachment } from '../../sdk/attachments.js';

const w = window as unknown as { Closeloop?: { _a?: unknown } };
if (w.Closeloop) w.Closeloop._a = { uploadAttachment };
