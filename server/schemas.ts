/**
 * Input schemas proven exact against the contract. A function's `schemas.ts` declares one schema
 * per action through `schemasFor<Contract>()`: each schema's output must be the action's request
 * type exactly (a field the contract has and the schema drops, or retypes, or makes required,
 * fails tsc), and the router accepts only schemas that passed (ExactSchema). Assignability one
 * way is not enough: `{ orderId: string }` is assignable to `{ orderId: string; verbose?: boolean }`,
 * and the page that sends `verbose` would meet INVALID_INPUT at run time.
 */
import type * as v from 'valibot'
import type { Contract } from '../typings/contract'

/** Intersections flattened, recursively, so that equal shapes compare equal. */
type Plain<T> = T extends (...args: never[]) => unknown ? T : T extends object ? { [K in keyof T]: Plain<T[K]> } : T

/** Exactly the same type (optional or readonly differences count; assignable both ways is not enough). */
export type Equals<A, B> =
  (<G>() => G extends Plain<A> ? 1 : 2) extends <G>() => G extends Plain<B> ? 1 : 2 ? true : false

declare const EXACT: unique symbol

/** A schema that schemasFor proved to produce exactly `T` (a compile-time mark; nothing at run time). */
export type ExactSchema<T> = v.GenericSchema<unknown, T> & { readonly [EXACT]: T }

/** What tsc shows for an action whose schema is not its contract's request type. */
export interface SchemaDiffersFromContract<Action extends PropertyKey, Schema, Contract> {
  action: Action
  schemaGives: Schema
  contractSays: Contract
}

/** A request of no fields is written `Record<string, never>` in typings/ and `v.strictObject({})` (output `{}`) here. */
type Fields<T> = Equals<T, Record<string, never>> extends true ? {} : T // eslint-disable-line @typescript-eslint/no-empty-object-type

type Out<S> = S extends v.GenericSchema ? v.InferOutput<S> : never

type Checked<C extends Contract, S> = {
  [K in keyof C]: K extends keyof S
    ? Equals<Out<S[K]>, Fields<C[K]['req']>> extends true
      ? S[K]
      : SchemaDiffersFromContract<K, Out<S[K]>, C[K]['req']>
    : v.GenericSchema<unknown, C[K]['req']>
}

/** `schemasFor<PayContract>()({ createOrder: v.strictObject(...), ... })`: one exact schema per action. */
export function schemasFor<C extends Contract>() {
  return <S extends { [K in keyof C]: v.GenericSchema }>(
    schemas: S & Checked<C, S>,
  ): { [K in keyof C]: ExactSchema<C[K]['req']> } => schemas as never
}
