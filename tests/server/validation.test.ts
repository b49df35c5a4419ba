import * as v from 'valibot'
import { describeIssue } from '../../server/validation'

const schema = v.pipe(
  v.strictObject({
    nickName: v.optional(v.pipe(v.string(), v.maxLength(3))),
    avatarUrl: v.optional(v.string()),
    count: v.number(),
    size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    range: v.optional(v.picklist([7, 31])),
    kind: v.optional(v.picklist(['a', 'b'])),
    inner: v.optional(v.strictObject({ a: v.string() })),
    note: v.optional(v.pipe(v.string(), v.minLength(1, 'note is missing'))),
  }),
)

const issues = (input: unknown) =>
  (v.safeParse(schema, input).issues ?? []).map((i) => describeIssue(i, schema as never))

test('an unknown field is named with the allowed ones, at the top and nested', () => {
  expect(issues({ count: 1, nick: 'x' })).toEqual([
    'unknown field nick; allowed: nickName, avatarUrl, count, size, range, kind, inner, note',
  ])
  expect(issues({ count: 1, inner: { a: 'x', b: 2 } })).toEqual(['unknown field inner.b; allowed: a'])
  const empty = v.strictObject({})
  expect((v.safeParse(empty, { x: 1 }).issues ?? []).map((i) => describeIssue(i, empty as never))).toEqual([
    'unknown field x; this call takes no fields',
  ])
})

test('missing fields, wrong types, limits and choices say what is expected', () => {
  expect(issues({})).toEqual(['missing field count (expected a number)'])
  expect(issues({ count: 'x' })).toEqual(['count: expected a number, got "x"'])
  expect(issues({ count: 1, nickName: 'abcdef' })).toEqual(['nickName: must be at most 3 characters, got 6'])
  expect(issues({ count: 1, size: 1.5 })).toEqual(['size: must be a whole number, got 1.5'])
  expect(issues({ count: 1, size: 0 })).toEqual(['size: must be at least 1, got 0'])
  expect(issues({ count: 1, range: 30 })).toEqual(['range: expected one of 7, 31, got 30'])
  expect(issues({ count: 1, kind: 'c' })).toEqual(['kind: expected one of "a", "b", got "c"'])
})

test("a schema's own message is kept", () => {
  expect(issues({ count: 1, note: '' })).toEqual(['note: note is missing'])
})
