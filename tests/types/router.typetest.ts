/**
 * Compile-time tests of the function side of the contract (checked by `tsc -p .`).
 */
import * as v from 'valibot'
import type { Action } from '../../typings/contract'
import { createRouter } from '../../server/router'

type Demo = {
  greet: Action<{ name: string }, { text: string }, 'SHY'>
}

export const ok = createRouter<Demo>('demo', {
  greet: { input: v.object({ name: v.string() }), handle: async (i, ctx) => (i.name ? { text: `hi ${i.name}` } : ctx.fail('SHY', 'no name')) },
})

export const wrongResult = createRouter<Demo>('demo', {
  // @ts-expect-error the handler answers a field the contract does not have
  greet: { input: v.object({ name: v.string() }), handle: async () => ({ txt: 'hi' }) },
})

export const wrongCode = createRouter<Demo>('demo', {
  // @ts-expect-error a code the action does not declare
  greet: { input: v.object({ name: v.string() }), handle: async (_i, ctx) => ctx.fail('ANGRY', 'no') },
})

export const wrongSchema = createRouter<Demo>('demo', {
  // @ts-expect-error the schema's output is not the contract's request
  greet: { input: v.object({ name: v.number() }), handle: async () => ({ text: '' }) },
})

// @ts-expect-error an action of the contract has no handler
export const missing = createRouter<Demo>('demo', {})
