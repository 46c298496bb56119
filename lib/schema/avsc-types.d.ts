// avsc's type API alone (no file containers, no RPC services): what lib/schema/formats.ts uses,
// in a third of the bundled bytes of the whole package. Same API as the package's main module.
declare module 'avsc/lib/types' {
  export { Type } from 'avsc';
}
