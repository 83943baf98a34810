/** The languages that have a file in locales/, injected at build time. */
declare const __CLOSELOOP_LOCALES__: string[];

declare module '*.css?inline' {
  const css: string;
  export default css;
}
