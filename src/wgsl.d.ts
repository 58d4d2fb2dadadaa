// WGSL files are imported as their source text (vite/vitest plugin and esbuild's text loader).
declare module '*.wgsl' {
  const source: string;
  export default source;
}

// wgsl_reflect's package root does not load under Node ESM; its module build does.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
