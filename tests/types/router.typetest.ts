/**
 * Compile-time tests of the function side of the contract (checked by `tsc -p .`).
 * Each @ts-expect-error must be an error, or tsc fails: the contract cannot leak unnoticed.
 */
import * as v from 'valibot'
import type { Action } from '../../typings/contract'
import { createRouter, type Ctx } from '../../server/router'
import { schemasFor } from '../../server/schemas'

type Demo = {
  greet: Action<{ name: string }, { text: string }, 'SHY'>
}
type Verbose = {
  getOrder: Action<{ orderId: string; verbose?: boolean }, { id: string }, 'ORDER_NOT_FOUND'>
}

const demo = schemasFor<Demo>()({ greet: v.strictObject({ name: v.string() }) })

export const ok = createRouter<Demo>('demo', {
  greet: {
    input: demo.greet,
    handle: async (i, ctx) => (i.name ? { text: `hi ${i.name}` } : ctx.fail('SHY', 'no name')),
  },
})

export const wrongResult = createRouter<Demo>('demo', {
  // @ts-expect-error the handler answers a field the contract does not have
  greet: { input: demo.greet, handle: async () => ({ txt: 'hi' }) },
})

export const wrongCode = createRouter<Demo>('demo', {
  // @ts-expect-error a code the action does not declare
  greet: { input: demo.greet, handle: async (_i, ctx) => ctx.fail('ANGRY', 'no') },
})

// ---- the schema is exactly the request type ----

// @ts-expect-error the schema's output retypes a field
export const retyped = schemasFor<Demo>()({ greet: v.strictObject({ name: v.number() }) })

// @ts-expect-error the schema drops a field the contract has (the page may send `verbose` and meet INVALID_INPUT)
export const dropped = schemasFor<Verbose>()({ getOrder: v.strictObject({ orderId: v.string() }) })

export const required = schemasFor<Verbose>()({
  // @ts-expect-error the schema makes required what the contract leaves optional
  getOrder: v.strictObject({ orderId: v.string(), verbose: v.boolean() }),
})

// @ts-expect-error the schema adds a field the contract does not have
export const added = schemasFor<Demo>()({ greet: v.strictObject({ name: v.string(), age: v.optional(v.number()) }) })

// @ts-expect-error an action without a schema
export const noSchema = schemasFor<Demo>()({})

export const exact = schemasFor<Verbose>()({
  getOrder: v.strictObject({ orderId: v.string(), verbose: v.optional(v.boolean()) }),
})

export const unchecked = createRouter<Demo>('demo', {
  // @ts-expect-error a schema that did not pass schemasFor
  greet: { input: v.strictObject({ name: v.string() }), handle: async () => ({ text: '' }) },
})

// @ts-expect-error an action of the contract has no handler
export const missing = createRouter<Demo>('demo', {})

// ---- a helper fails only with codes its caller's action declares ----

function anyCode(ctx: Ctx<string>): never {
  return ctx.fail('ANY_CODE_AT_ALL', 'a helper typed too widely')
}
function shy(ctx: Ctx<'SHY'>): never {
  return ctx.fail('SHY', 'no name')
}

export const helperWide = createRouter<Demo>('demo', {
  // @ts-expect-error a helper that may fail with any code cannot take this action's context
  greet: { input: demo.greet, handle: async (_i, ctx) => anyCode(ctx) },
})

export const helperNarrow = createRouter<Demo>('demo', {
  greet: { input: demo.greet, handle: async (i, ctx) => (i.name ? { text: i.name } : shy(ctx)) },
})

export const helperOther = createRouter<Verbose>('verbose', {
  // @ts-expect-error the helper fails with SHY, which getOrder does not declare
  getOrder: { input: exact.getOrder, handle: async (_i, ctx) => shy(ctx) },
})
