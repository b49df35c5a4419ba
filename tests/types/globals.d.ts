/**
 * Jest loads some mini-program modules (session, call) into the node test project. Their real
 * types are checked by `tsc -p miniprogram` against miniprogram-api-typings; here, where those
 * typings would clash with @types/node, `wx` is only declared.
 */
declare const wx: any
