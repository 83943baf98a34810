/**
 * Puts CSS into a shadow root: a constructable stylesheet where the browser has
 * them (no inline style, so a strict CSP needs no 'unsafe-inline'), else a
 * <style> carrying the page's nonce.
 */
export function adoptStyles(root: ShadowRoot, css: string, nonce?: string) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  } catch {
    // Older engines: fall back to a <style> element.
  }
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  root.appendChild(style);
}
