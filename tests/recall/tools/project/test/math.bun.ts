import { expect, test } from 'bun:test'
import { add, average } from '../src/math'

test('adds two numbers', () => {
  expect(add(2, 2)).toBe(4)
})

test('average of [1, 2] is 1.5', () => {
  expect(average([1, 2])).toEqual(2)
})
